// One joined group: its ordered event stream, projections of it, a paced pull interface, and the
// commands (send, flush, leave). The protocol lives in group-fsm.ts; the connection drives it.
import { defer, type Observable, type ObservableInput } from 'rxjs';
import { EventChannel } from './channel.ts';
import type { GroupFsmSnapshot, JoinState, ViewPhase } from './group-fsm.ts';
import { completeOnLeft } from './operators/complete-on-left.ts';
import { flushRequests } from './operators/flush-requests.ts';
import { messages } from './operators/messages.ts';
import { pullEach } from './operators/pull-each.ts';
import { startWithCurrentView } from './operators/start-with-current-view.ts';
import { views } from './operators/views.ts';
import type { FlushRequest, SendOptions, VsGroupEvent, VsMessage, VsSendReceipt, VsView } from './types.ts';

/** What a group needs from its connection (kept narrow: no module cycle). */
export interface GroupHost {
  send(group: string, payload: Uint8Array | readonly Uint8Array[], options: SendOptions, receivers: readonly string[] | undefined): Promise<VsSendReceipt>;
  flush(group: string): Promise<void>;
  leave(group: string): Promise<void>;
  snapshot(group: string): GroupFsmSnapshot | undefined;
}

export interface VsGroupStats extends GroupFsmSnapshot {
  /** Events held for a first subscriber or waiting in pull queues. */
  readonly buffered: number;
}

export interface VsGroupOptions {
  readonly bufferUntilSubscribed: boolean;
  readonly highWaterMark: number;
  readonly onRelief: () => void;
}

export class VsGroup {
  /**
   * The ordered source of truth: views, messages, transitional signals, flush requests, then
   * 'left'. Hot. Completes after 'left' or when the connection is closed; errors with
   * VsDisconnectedError when the daemon connection is lost, VsFlushTimeoutError or
   * VsFlushHookError when the group could not flush.
   */
  readonly events$: Observable<VsGroupEvent>;
  /** Installed views; a subscriber first gets the view installed at that moment (if any). */
  readonly views$: Observable<VsView>;
  /** Data messages, each with the id of the view it was sent and delivered in. No replay. */
  readonly messages$: Observable<VsMessage>;
  readonly flushRequests$: Observable<FlushRequest>;

  /** @internal the connection pushes events here. */
  readonly channel: EventChannel<VsGroupEvent>;
  private latest: VsView | undefined;
  private dispatched: VsView | undefined;

  constructor(
    readonly name: string,
    private readonly host: GroupHost,
    o: VsGroupOptions,
  ) {
    this.channel = new EventChannel<VsGroupEvent>({
      bufferUntilSubscribed: o.bufferUntilSubscribed,
      highWaterMark: o.highWaterMark,
      onRelief: o.onRelief,
      onDispatch: (e) => {
        if (e.kind === 'view') this.dispatched = e.view;
      },
    });
    this.events$ = this.channel.observable.pipe(completeOnLeft());
    this.views$ = this.events$.pipe(
      views(),
      startWithCurrentView(() => this.dispatched),
    );
    this.messages$ = this.events$.pipe(messages());
    this.flushRequests$ = this.events$.pipe(flushRequests());
  }

  /** @internal the connection hands over each event in order. */
  push(e: VsGroupEvent): void {
    if (e.kind === 'view') this.latest = e.view;
    this.channel.push(e);
  }

  /** The last installed view (possibly ahead of what a slow pull consumer has seen). */
  currentView(): VsView | undefined {
    return this.latest;
  }

  get joinState(): JoinState {
    return this.host.snapshot(this.name)?.join ?? 'gone';
  }

  get viewPhase(): ViewPhase | undefined {
    return this.host.snapshot(this.name)?.phase;
  }

  /**
   * Pull-style consumption with backpressure: while this iterator holds `highWaterMark` events
   * the connection stops reading the daemon socket (every group on the connection waits).
   */
  iterate(options: { highWaterMark?: number } = {}): AsyncIterableIterator<VsGroupEvent> {
    return this.channel.iterate(options.highWaterMark);
  }

  /**
   * Paced processing: `project` runs for one event at a time (to the end of its promise or
   * Observable) before the next event is taken; its outputs are emitted. See pullEach.
   */
  process$<R = never>(project: (e: VsGroupEvent, index: number) => ObservableInput<R> | void, options: { highWaterMark?: number } = {}): Observable<R> {
    return defer(() => pullEach(this.iterate(options), project)); // the queue exists while subscribed
  }

  /**
   * Multicasts to the group (FL_multicast / FL_scat_multicast). Resolves when the message is
   * handed to the socket, with the view it was sent in; a send made after flushing waits and goes
   * out in the next view. The payload bytes are referenced, not copied, until then.
   */
  send(payload: Uint8Array | readonly Uint8Array[], options: SendOptions = {}): Promise<VsSendReceipt> {
    return this.host.send(this.name, payload, options, undefined);
  }

  /** Sends to some members (FL_subgroupcast / FL_unicast); each must be in the last installed view. */
  sendTo(receivers: readonly string[], payload: Uint8Array | readonly Uint8Array[], options: SendOptions = {}): Promise<VsSendReceipt> {
    return this.host.send(this.name, payload, options, [...receivers]);
  }

  /** Flushes the pending request (manual mode). Idempotent for one request; rejects if none is pending. */
  flush(): Promise<void> {
    return this.host.flush(this.name);
  }

  /** Leaves the group; resolves after the self-leave, when every stream of the group has completed. */
  leave(): Promise<void> {
    return this.host.leave(this.name);
  }

  stats(): VsGroupStats {
    const s = this.host.snapshot(this.name) ?? { join: 'gone', phase: 'steady', installedId: this.latest?.id, present: [], queue: [], held: 0, outbox: 0, placeholders: 0 };
    return { ...s, buffered: this.channel.bufferedCount };
  }
}
