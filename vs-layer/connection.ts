// The shell: owns one EVS session (the client's SpreadConnection), turns what it receives into
// inputs of the per-group state machines, and performs their actions (deliver, send, leave). It
// also runs the flush policy (hooks, deadlines), which needs time and promises and so stays out
// of the core. Inputs are processed strictly one at a time, in arrival order; a command issued
// from inside a subscriber waits until the actions of the current input have been performed.
import { BehaviorSubject, isObservable, lastValueFrom, Observable, type Subscription } from 'rxjs';
import type { SpreadAddressInput } from '../client/address.ts';
import type { AuthMethod } from '../client/auth.ts';
import { checkGroupName } from '../client/checks.ts';
import { SpreadConnection, type SpreadConnectionOptions } from '../client/api/spread-connection.ts';
import { SERVICE_BITS, SpreadMessage } from '../client/api/spread-message.ts';
import type { TransportFactory } from '../client/transport.ts';
import { EventChannel } from './channel.ts';
import {
  VsDisconnectedError,
  VsFlushHookError,
  VsFlushTimeoutError,
  VsIllegalGroupError,
  VsIllegalParamError,
  VsIllegalStateError,
  vsErrorForCode,
  type VsError,
} from './errors.ts';
import { GroupFsm, type FsmDelivery, type GroupAction, type GroupFsmSnapshot, type GroupInput, type SendDataAction } from './group-fsm.ts';
import { VsGroup, type GroupHost } from './group.ts';
import { messages } from './operators/messages.ts';
import { views } from './operators/views.ts';
import type { FlushHookResult, FlushPolicy, FlushRequest, SendOptions, VsGroupEvent, VsMessage, VsSendReceipt, VsView } from './types.ts';
import { encodeControl, encodeData } from './wire.ts';
import { routeInbound } from './inbound.ts';

export interface VsConnectOptions {
  /** As for SpreadConnection: a spread name ("4803", "4803@127.0.0.1"), or host/port, or path. */
  readonly spread?: SpreadAddressInput;
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
  readonly privateName?: string;
  readonly priority?: boolean;
  readonly authMethods?: readonly AuthMethod[];
  readonly transportFactory?: TransportFactory;
  /** Bound on connect plus handshake. */
  readonly timeoutMs?: number;
  /** Default for every group: { mode: 'auto' }. */
  readonly flush?: FlushPolicy;
  /** What a send gets between flushing and the next view (default 'queue'). */
  readonly sendWhileFlushed?: 'queue' | 'reject';
  /** Events a pull queue may hold before reading from the daemon pauses (default 1000). */
  readonly highWaterMark?: number;
  /** Clock for flush deadlines (default Date.now). */
  readonly now?: () => number;
}

export interface VsJoinOptions {
  /** Hold the group's events until a first subscriber or iterator attaches (default true). */
  readonly bufferUntilSubscribed?: boolean;
  /** Overrides the connection's flush policy for this group. */
  readonly flush?: FlushPolicy;
  readonly highWaterMark?: number;
}

export type VsConnectionState = 'connected' | 'closing' | 'closed';

export interface VsConnectionStats {
  /** Inputs ignored: malformed frames, messages from outside the view, stale control frames. */
  readonly dropped: number;
  readonly lastDropReason: string | undefined;
  readonly groups: Readonly<Record<string, GroupFsmSnapshot>>;
}

const DEFAULT_HIGH_WATER_MARK = 1000;

interface LeaveWaiter {
  resolve(): void;
  reject(e: Error): void;
}

interface GroupRuntime {
  readonly name: string;
  readonly fsm: GroupFsm;
  readonly group: VsGroup;
  readonly policy: FlushPolicy;
  /** The flush request delivered and not yet flushed. */
  request: FlushRequest | undefined;
  timer: NodeJS.Timeout | undefined;
  leaveWaiters: LeaveWaiter[];
  /** The group's streams errored (flush timeout or hook failure); it is being left. */
  failed: boolean;
}

interface PendingSend {
  resolve(r: VsSendReceipt): void;
  reject(e: unknown): void;
}

interface InboxEntry {
  readonly rt: GroupRuntime;
  readonly input: GroupInput;
  readonly done: ((refusal: VsError | undefined) => void) | undefined;
}

function hookDone(r: FlushHookResult): Promise<unknown> {
  if (isObservable(r)) return lastValueFrom(r as Observable<unknown>, { defaultValue: undefined });
  return Promise.resolve(r);
}

const noop = (): void => {};

export class VsConnection implements GroupHost {
  /** Our private group name ("#name#daemon"): the address of this member in views. */
  readonly privateName: string;
  /** Resolves when the connection ends: void after close()/kill(), the reason after a loss. Never rejects. */
  readonly closed: Promise<void | Error>;
  /** Every group's events in arrival order (hot, no replay); completes on close, errors on loss. */
  readonly events$: Observable<VsGroupEvent>;
  /** Views installed in any group. */
  readonly views$: Observable<VsView>;
  /** Messages delivered in any group. */
  readonly messages$: Observable<VsMessage>;
  readonly state$: Observable<VsConnectionState>;

  private readonly groups = new Map<string, GroupRuntime>();
  private readonly channel: EventChannel<VsGroupEvent>;
  private readonly state = new BehaviorSubject<VsConnectionState>('connected');
  private readonly sends = new Map<number, PendingSend>();
  private nextToken = 1;
  private readonly inbox: InboxEntry[] = [];
  private stepping = false;
  private closingLocally = false;
  private ended = false;
  private resolveClosed: (v: void | Error) => void = noop;
  private reliefWaiter: (() => void) | undefined;
  private dropped = 0;
  private lastDropReason: string | undefined;
  private readonly highWaterMark: number;
  private readonly now: () => number;

  private constructor(
    /** The EVS session underneath (for tests and diagnostics; do not read from it). */
    readonly spread: SpreadConnection,
    private readonly o: VsConnectOptions,
  ) {
    this.privateName = spread.privateGroup.name;
    this.highWaterMark = Math.max(1, o.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    this.now = o.now ?? Date.now;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.channel = new EventChannel<VsGroupEvent>({ highWaterMark: this.highWaterMark, onRelief: () => this.relieve() });
    this.events$ = this.channel.observable;
    this.views$ = this.events$.pipe(views());
    this.messages$ = this.events$.pipe(messages());
    this.state$ = this.state.asObservable();
    void this.readLoop();
  }

  /** FL_connect: connects with membership messages on. Rejects with the client's typed errors. */
  static async connect(o: VsConnectOptions = {}): Promise<VsConnection> {
    const so: SpreadConnectionOptions = {
      spread: o.spread,
      host: o.host,
      port: o.port,
      path: o.path,
      privateName: o.privateName ?? '',
      membership: true,
      priority: o.priority ?? false,
      authMethods: o.authMethods,
      transportFactory: o.transportFactory,
      timeoutMs: o.timeoutMs,
    };
    return new VsConnection(await SpreadConnection.connect(so), o);
  }

  get isOpen(): boolean {
    return !this.ended && !this.closingLocally;
  }

  /** The group joined under `name`, until it is left. */
  group(name: string): VsGroup | undefined {
    return this.groups.get(name)?.group;
  }

  get groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** Connection-wide pull consumption (FL_receive uses it); counts toward pausing like VsGroup.iterate. */
  iterate(options: { highWaterMark?: number } = {}): AsyncIterableIterator<VsGroupEvent> & { readonly size: number } {
    return this.channel.iterate(options.highWaterMark);
  }

  stats(): VsConnectionStats {
    const groups: Record<string, GroupFsmSnapshot> = {};
    for (const [name, rt] of this.groups) groups[name] = rt.fsm.snapshot();
    return { dropped: this.dropped, lastDropReason: this.lastDropReason, groups };
  }

  // ---- groups ----

  /**
   * FL_join: joins `name`. Resolves once the join is sent; the first view arrives on the group's
   * streams (held until a first subscriber unless bufferUntilSubscribed is false).
   */
  async join(name: string, options: VsJoinOptions = {}): Promise<VsGroup> {
    if (!this.isOpen) throw new VsDisconnectedError('connection closed');
    if (checkGroupName(name) !== 0) throw new VsIllegalGroupError(name);
    if (this.groups.has(name)) throw new VsIllegalGroupError(name, `already joined (or still leaving) ${name}`);
    const group = new VsGroup(name, this, {
      bufferUntilSubscribed: options.bufferUntilSubscribed ?? true,
      highWaterMark: Math.max(1, options.highWaterMark ?? this.highWaterMark),
      onRelief: () => this.relieve(),
    });
    const rt: GroupRuntime = {
      name,
      fsm: new GroupFsm({ self: this.privateName, group: name, sendWhileFlushed: this.o.sendWhileFlushed ?? 'queue' }),
      group,
      policy: options.flush ?? this.o.flush ?? { mode: 'auto' },
      request: undefined,
      timer: undefined,
      leaveWaiters: [],
      failed: false,
    };
    this.groups.set(name, rt);
    try {
      await this.spread.join(name);
    } catch (err) {
      this.groups.delete(name);
      group.channel.complete();
      throw new VsDisconnectedError(`join of ${name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return group;
  }

  /**
   * The group as an Observable: subscribing joins, the events follow (first view included), and
   * unsubscribing leaves the group. Completes after a leave or close; errors like VsGroup.events$.
   */
  join$(name: string, options: Omit<VsJoinOptions, 'bufferUntilSubscribed'> = {}): Observable<VsGroupEvent> {
    return new Observable<VsGroupEvent>((subscriber) => {
      let group: VsGroup | undefined;
      let inner: Subscription | undefined;
      let unsubscribed = false;
      this.join(name, { ...options, bufferUntilSubscribed: true }).then(
        (g) => {
          if (unsubscribed) {
            g.leave().catch(noop);
            return;
          }
          group = g;
          inner = g.events$.subscribe(subscriber);
        },
        (err: unknown) => subscriber.error(err),
      );
      return () => {
        unsubscribed = true;
        inner?.unsubscribe();
        const rt = this.groups.get(name);
        if (group !== undefined && rt?.group === group && rt.fsm.joinState !== 'leaving') group.leave().catch(noop);
      };
    });
  }

  // ---- GroupHost ----

  send(name: string, payload: Uint8Array | readonly Uint8Array[], options: SendOptions, receivers: readonly string[] | undefined): Promise<VsSendReceipt> {
    const rt = this.groups.get(name);
    if (this.ended) return Promise.reject(new VsDisconnectedError('connection closed'));
    if (rt === undefined || rt.failed) return Promise.reject(new VsIllegalGroupError(name, `not a member of ${name}`));
    const service = options.service ?? 'agreed';
    if (!Object.hasOwn(SERVICE_BITS, service)) return Promise.reject(new VsIllegalParamError(`unknown service ${String(service)}`));
    const token = this.nextToken++;
    return new Promise<VsSendReceipt>((resolve, reject) => {
      this.sends.set(token, { resolve, reject });
      this.step(rt, {
        type: 'appSend',
        token,
        service,
        messType: options.type ?? 0,
        payload: payload instanceof Uint8Array ? [payload] : [...payload],
        receivers,
        selfDiscard: options.selfDiscard === true,
      });
    });
  }

  flush(name: string): Promise<void> {
    const rt = this.groups.get(name);
    if (rt === undefined || rt.failed) return Promise.reject(new VsIllegalGroupError(name, `not a member of ${name}`));
    if (rt.request !== undefined) return this.flushFor(rt, rt.request);
    if (rt.fsm.viewPhase === 'agree' && rt.fsm.joinState !== 'leaving') return Promise.resolve(); // already flushed
    return Promise.reject(new VsIllegalStateError(`no flush request pending in ${name}`));
  }

  leave(name: string): Promise<void> {
    const rt = this.groups.get(name);
    if (rt === undefined) return Promise.reject(new VsIllegalGroupError(name, `not a member of ${name}`));
    return new Promise<void>((resolve, reject) => {
      const w: LeaveWaiter = { resolve, reject };
      rt.leaveWaiters.push(w);
      if (rt.fsm.joinState === 'leaving') return; // already on its way out
      this.step(rt, { type: 'appLeave' }, (refusal) => {
        if (refusal === undefined) return;
        rt.leaveWaiters = rt.leaveWaiters.filter((x) => x !== w);
        reject(refusal);
      });
    });
  }

  snapshot(name: string): GroupFsmSnapshot | undefined {
    return this.groups.get(name)?.fsm.snapshot();
  }

  // ---- closing ----

  /** FL_disconnect: sends the disconnect and closes; every stream completes, `closed` resolves to void. */
  async close(): Promise<void> {
    if (this.closingLocally || this.ended) {
      await this.closed;
      return;
    }
    this.closingLocally = true;
    this.state.next('closing');
    this.wakeReader();
    await this.spread.close();
    this.finish(undefined);
  }

  /** Drops the socket without the disconnect message (the daemon sees a disconnect); streams complete. */
  kill(): void {
    if (this.closingLocally || this.ended) return;
    this.closingLocally = true;
    this.state.next('closing');
    this.wakeReader();
    this.spread.kill();
    this.finish(undefined);
  }

  // ---- inbound ----

  private async readLoop(): Promise<void> {
    for (;;) {
      while (!this.ended && !this.closingLocally && this.pressured()) {
        await new Promise<void>((resolve) => {
          this.reliefWaiter = resolve;
        });
      }
      if (this.ended || this.closingLocally) return;
      let m: SpreadMessage;
      try {
        m = await this.spread.receive();
      } catch (err) {
        if (!this.closingLocally) this.finish(new VsDisconnectedError(`connection to the daemon lost: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        return;
      }
      if (this.ended || this.closingLocally) return;
      this.onSpreadMessage(m);
    }
  }

  private pressured(): boolean {
    if (this.channel.pressured) return true;
    for (const rt of this.groups.values()) if (rt.group.channel.pressured) return true;
    return false;
  }

  private relieve(): void {
    if (this.reliefWaiter !== undefined && !this.pressured()) this.wakeReader();
  }

  private wakeReader(): void {
    const w = this.reliefWaiter;
    this.reliefWaiter = undefined;
    w?.();
  }

  private onSpreadMessage(m: SpreadMessage): void {
    const r = routeInbound(m, (g) => this.groups.has(g));
    if ('drop' in r) return this.drop(r.drop);
    for (const { group, input } of r.inputs) {
      const rt = this.groups.get(group);
      if (rt !== undefined) this.step(rt, input);
    }
  }

  private drop(reason: string): void {
    this.dropped++;
    this.lastDropReason = reason;
  }

  // ---- stepping the state machines ----

  private step(rt: GroupRuntime, input: GroupInput, done?: (refusal: VsError | undefined) => void): void {
    this.inbox.push({ rt, input, done });
    if (this.stepping) return;
    this.stepping = true;
    try {
      for (let x = this.inbox.shift(); x !== undefined; x = this.inbox.shift()) {
        const refusal = this.perform(x.rt, x.rt.fsm.step(x.input));
        x.done?.(refusal);
      }
    } finally {
      this.stepping = false;
    }
  }

  /** Performs actions in order; returns the refusal of a command without a token (flush, leave). */
  private perform(rt: GroupRuntime, actions: readonly GroupAction[]): VsError | undefined {
    let refusal: VsError | undefined;
    for (const a of actions) {
      switch (a.type) {
        case 'deliver':
          this.deliver(rt, a.event);
          break;
        case 'sendControl': {
          const f = encodeControl(a.kind, a.viewId);
          // FIFO, as Flush: it must follow our own data messages of the old view.
          this.spread.multicast(new SpreadMessage({ service: 'fifo', groups: [rt.name], type: f.messType, data: f.body })).catch(noop);
          break;
        }
        case 'sendData':
          this.sendData(rt, a);
          break;
        case 'queued':
          break;
        case 'refuse': {
          const err = vsErrorForCode(a.code, a.detail, rt.name);
          if (a.token === undefined) refusal = err;
          else {
            this.sends.get(a.token)?.reject(err);
            this.sends.delete(a.token);
          }
          break;
        }
        case 'sendLeave':
          this.spread.leave(rt.name).catch(noop);
          break;
        case 'dropped':
          this.drop(`${rt.name}: ${a.reason}`);
          break;
      }
    }
    return refusal;
  }

  private sendData(rt: GroupRuntime, a: SendDataAction): void {
    const pending = this.sends.get(a.token);
    this.sends.delete(a.token);
    let msg: SpreadMessage;
    try {
      let data: Uint8Array;
      let type: number;
      if (a.tag === undefined && a.receivers === undefined) {
        data = a.payload.length === 1 ? a.payload[0]! : Buffer.concat(a.payload);
        type = a.messType;
      } else {
        const f = encodeData({ origType: a.messType, ...(a.tag === undefined ? {} : { tag: a.tag }), ...(a.receivers === undefined ? {} : { group: rt.name }) }, a.payload);
        data = f.body;
        type = f.messType;
      }
      msg = new SpreadMessage({ service: a.service, groups: a.receivers ?? [rt.name], data, type, selfDiscard: a.selfDiscard });
    } catch (err) {
      pending?.reject(err);
      return;
    }
    this.spread.multicast(msg).then(
      () => pending?.resolve({ viewId: a.viewId }),
      (err: unknown) => pending?.reject(err),
    );
  }

  private deliver(rt: GroupRuntime, ev: FsmDelivery): void {
    switch (ev.kind) {
      case 'flushRequest': {
        const req = this.makeRequest(rt, ev.viewId);
        rt.request = req;
        this.emit(rt, { kind: 'flushRequest', group: rt.name, request: req });
        this.armFlush(rt, req);
        return;
      }
      case 'left': {
        this.emit(rt, { kind: 'left', group: rt.name });
        this.disarm(rt);
        rt.group.channel.complete();
        this.groups.delete(rt.name);
        const ws = rt.leaveWaiters;
        rt.leaveWaiters = [];
        for (const w of ws) w.resolve();
        return;
      }
      case 'view':
        this.emit(rt, { kind: 'view', group: ev.group, view: ev.view });
        return;
      case 'message':
        this.emit(rt, { kind: 'message', group: ev.group, message: ev.message });
        return;
      case 'transitional':
        this.emit(rt, { kind: 'transitional', group: ev.group, viewId: ev.viewId });
        return;
    }
  }

  private emit(rt: GroupRuntime, e: VsGroupEvent): void {
    if (rt.failed) return;
    rt.group.push(e);
    this.channel.push(e);
  }

  // ---- flush policy ----

  private makeRequest(rt: GroupRuntime, viewId: string): FlushRequest {
    const timeoutMs = rt.policy.timeoutMs;
    const deadline = timeoutMs === undefined ? undefined : this.now() + timeoutMs;
    const req: FlushRequest = {
      group: rt.name,
      viewId,
      deadline,
      flush: () => this.flushFor(rt, req),
    };
    return req;
  }

  private armFlush(rt: GroupRuntime, req: FlushRequest): void {
    const p = rt.policy;
    if (p.timeoutMs !== undefined) {
      rt.timer = setTimeout(() => this.onFlushTimeout(rt, req), p.timeoutMs);
    }
    if (p.mode !== 'auto') return;
    const hook = p.beforeFlush;
    if (hook === undefined) {
      this.flushFor(rt, req).catch(noop);
      return;
    }
    let result: FlushHookResult;
    try {
      result = hook(req);
    } catch (err) {
      this.failGroup(rt, new VsFlushHookError(rt.name, err));
      return;
    }
    hookDone(result).then(
      () => this.flushFor(rt, req).catch(noop),
      (err: unknown) => {
        if (rt.request === req) this.failGroup(rt, new VsFlushHookError(rt.name, err));
      },
    );
  }

  private onFlushTimeout(rt: GroupRuntime, req: FlushRequest): void {
    rt.timer = undefined;
    if (rt.request !== req) return;
    const onTimeout = rt.policy.onTimeout ?? (rt.policy.mode === 'auto' ? 'flush' : 'error');
    if (onTimeout === 'flush') this.flushFor(rt, req).catch(noop);
    else this.failGroup(rt, new VsFlushTimeoutError(rt.name, rt.policy.timeoutMs ?? 0));
  }

  /** Flushes for `req` if it is still the pending request; a later call for the same request is a no-op. */
  private flushFor(rt: GroupRuntime, req: FlushRequest): Promise<void> {
    if (rt.request !== req) return Promise.resolve();
    rt.request = undefined;
    this.disarm(rt);
    return new Promise<void>((resolve, reject) => {
      this.step(rt, { type: 'appFlush' }, (refusal) => (refusal === undefined ? resolve() : reject(refusal)));
    });
  }

  private disarm(rt: GroupRuntime): void {
    if (rt.timer !== undefined) clearTimeout(rt.timer);
    rt.timer = undefined;
  }

  /** The group's streams error with `err` and the group is left (the rest of the group proceeds without us). */
  private failGroup(rt: GroupRuntime, err: VsError): void {
    if (rt.failed || this.groups.get(rt.name) !== rt) return;
    rt.request = undefined;
    this.disarm(rt);
    rt.group.channel.error(err);
    rt.failed = true;
    const join = rt.fsm.joinState;
    if (join === 'joining' || join === 'joined') this.step(rt, { type: 'appLeave' });
  }

  // ---- the end ----

  /** Ends every stream: complete (error undefined, a local close) or error. Idempotent. */
  private finish(error: VsDisconnectedError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.wakeReader();
    const sendErr = error ?? new VsDisconnectedError('connection closed');
    for (const rt of this.groups.values()) {
      this.disarm(rt);
      rt.request = undefined;
      if (error === undefined) rt.group.channel.complete();
      else rt.group.channel.error(error);
      for (const w of rt.leaveWaiters) {
        if (error === undefined) w.resolve();
        else w.reject(error);
      }
      rt.leaveWaiters = [];
    }
    this.groups.clear();
    for (const s of this.sends.values()) s.reject(sendErr);
    this.sends.clear();
    if (error === undefined) this.channel.complete();
    else this.channel.error(error);
    this.state.next('closed');
    this.state.complete();
    this.resolveClosed(error);
  }
}

/** FL_connect in the stream API's terms (design 1.9.4). */
export function connectVs(options: VsConnectOptions = {}): Promise<VsConnection> {
  return VsConnection.connect(options);
}
