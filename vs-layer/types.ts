// Public types of the VS layer (design 1.9.1). Plain data, shared by the pure group state machine,
// the shell and the stream API.
import type { Observable } from 'rxjs';
import type { ServiceName } from '../client/api/spread-message.ts';

/** Spread's six services. FIFO and weaker are "weak": the flush protocol tags them during view changes. */
export type ServiceLevel = ServiceName;

/** Why a view was installed; 'network' also stands for several EVS changes collapsed into one. */
export type ViewCause = 'join' | 'leave' | 'disconnect' | 'network';

/** Why a member left: a leave, a disconnect (or crash, or kill), or a network change. */
export type DepartureCause = 'leave' | 'disconnect' | 'network';

/** A view id: the EVS group id of the change that was installed, as "w0.w1.w2" (unsigned words). */
export type ViewId = string;

/** One installed VS view of a group. */
export interface VsView {
  readonly group: string;
  readonly id: ViewId;
  /** The three words of the EVS group id, signed as C prints them. */
  readonly groupId: readonly [number, number, number];
  /** Private group names, in the daemon's order: identical at every member. */
  readonly members: readonly string[];
  readonly myIndex: number;
  readonly cause: ViewCause;
  /** The joiner or leaver, for a view caused by one join, leave or disconnect. */
  readonly delta?: string;
  /**
   * Members of this view that installed my previous view and moved here with me (me included):
   * the VS transitional set. In the first view, just me.
   */
  readonly cameWithMe: readonly string[];
  /** The EVS change's vs sets as the daemon sent them. */
  readonly vsSets: ReadonlyArray<readonly string[]>;
  /** Members not in my previous view (in my first view: every member). */
  readonly joined: readonly string[];
  /** Members of my previous view that are not in this one, whatever the reason. */
  readonly left: readonly string[];
  /** The part of `left` that disconnected (or crashed, or was killed). */
  readonly disconnected: readonly string[];
  readonly previousId?: ViewId;
}

/** One delivered data message. */
export interface VsMessage {
  readonly group: string;
  /** The view in which it was sent and is delivered (they are the same view). */
  readonly viewId: ViewId;
  readonly sender: string;
  readonly service: ServiceLevel;
  /** mess_type, int16, at least FL_MIN_LEGAL_MESS_TYPE. */
  readonly type: number;
  readonly payload: Uint8Array;
  /** For subgroup casts and unicasts: the receivers' private group names. */
  readonly receivers?: readonly string[];
  /** Delivered after this view's transitional signal: some view members may not get it. */
  readonly afterTransitional: boolean;
}

/** A flush request: the group is changing; flushing lets the next view be installed. */
export interface FlushRequest {
  readonly group: string;
  /** The EVS view the request was raised for (a later one may replace it: one flush covers both). */
  readonly viewId: ViewId;
  /** Epoch milliseconds, when the policy has a timeout. */
  readonly deadline: number | undefined;
  /** Flushes (manual mode); idempotent for one request. */
  flush(): Promise<void>;
}

/** The ordered source of truth of one group. */
export type VsGroupEvent =
  | { readonly kind: 'view'; readonly group: string; readonly view: VsView }
  | { readonly kind: 'message'; readonly group: string; readonly message: VsMessage }
  | { readonly kind: 'transitional'; readonly group: string; readonly viewId: ViewId }
  | { readonly kind: 'flushRequest'; readonly group: string; readonly request: FlushRequest }
  | { readonly kind: 'left'; readonly group: string };

/** What a beforeFlush hook may return: the flush waits for a promise to settle or an Observable to complete. */
export type FlushHookResult = void | PromiseLike<unknown> | Observable<unknown>;

export type FlushPolicy =
  | {
      readonly mode: 'auto';
      /** Finishes the application's work for the old view (sends are still allowed) before the flush. */
      readonly beforeFlush?: (request: FlushRequest) => FlushHookResult;
      readonly timeoutMs?: number;
      /** When the hook overruns timeoutMs: flush anyway (default) or fail the group and leave it. */
      readonly onTimeout?: 'flush' | 'error';
    }
  | {
      readonly mode: 'manual';
      /** Without it the group waits for flush() as long as it takes, as in C. */
      readonly timeoutMs?: number;
      /** Default 'error': the group errors with VsFlushTimeoutError and is left. */
      readonly onTimeout?: 'flush' | 'error';
    };

export interface SendOptions {
  /** Default 'agreed'. */
  readonly service?: ServiceLevel;
  /** mess_type, default 0; below FL_MIN_LEGAL_MESS_TYPE is refused. */
  readonly type?: number;
  readonly selfDiscard?: boolean;
}

/** Where a sent message went: the view it was sent in (for a queued send, the next view). */
export interface VsSendReceipt {
  readonly viewId: ViewId;
}
