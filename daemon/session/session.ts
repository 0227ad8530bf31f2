// One client connection as the session layer sees it (design section 8): its handshake state,
// its name, and its outbound queue. The socket is reached through a narrow interface so the
// queue and kill rules can be driven without a real socket in tests.
import type { FrameReader } from '../../client/wire/index.ts';

/** What a session needs of its stream; net.Socket satisfies it. */
export interface ClientStream {
  write(buf: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
  end(): unknown;
  readonly writableLength: number;
}

export type SessionState =
  /** Waiting for the connect request. */
  | 'connect'
  /** Auth list sent, waiting for the 90-byte choice. */
  | 'auth'
  /** Accepted: messages flow. */
  | 'open'
  /** Cleared: no reads, no writes; its name stays taken until its KILL is delivered. */
  | 'killed'
  /** Gone. */
  | 'freed';

export class Session {
  state: SessionState = 'connect';
  /** Bytes of the handshake received so far. */
  handshakeBytes: Buffer = Buffer.alloc(0);
  privateName = '';
  privateGroup = '';
  membership = false;
  priority = 0;
  libraryVersion = { major: 0, minor: 0, patch: 0 };
  reader: FrameReader | undefined;
  handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Messages that did not fit in the socket's buffers; bounded by MaxSessionMessages. */
  readonly outQueue: Buffer[] = [];
  outQueueHead = 0;
  /** True while the socket holds more than the soft limit: new messages go to outQueue. */
  blocked = false;
  corked = false;
  /** Stamp of the last delivery that reached this session (dedupes multi-group sends). */
  deliveryStamp = 0;
  /** Paused because the down queue reached WATER_MARK. */
  readPaused = false;
  readonly connectedAt: number;

  constructor(
    readonly id: number,
    readonly stream: ClientStream,
    readonly peer: string,
    now: number,
    /** The client's IP address for access control; undefined for a Unix-socket client. */
    readonly peerAddress?: string,
  ) {
    this.connectedAt = now;
  }

  get queuedMessages(): number {
    return this.outQueue.length - this.outQueueHead;
  }
}
