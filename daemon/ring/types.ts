// Events into and actions out of the ring core (design 1.5, 10.1).
import type { RingId, RingService } from '../wire/types.ts';

export type { RingId, RingService } from '../wire/types.ts';

/** A message as the ring sees it: opaque bytes (a client frame, put there by the session layer). */
export interface RingMessage {
  readonly service: RingService;
  /** 1..MAX_RING_PAYLOAD bytes; delivered byte-identical. */
  readonly payload: Uint8Array;
}

/**
 * Named timers with "set replaces, cancel removes" semantics (design 1.5). DELIVER_* are
 * zero-delay catch-up passes after the delivery threshold was lowered. The membership module
 * adds its own names later (ALIVE, JOIN, SEG_DECIDE, REP_LOST, FORM_OR_FAIL, LOOKUP).
 */
export type RingTimerName = 'TOKEN_LOSS' | 'HURRY' | 'DELIVER_RELIABLE' | 'DELIVER_AGREED';

/**
 * Delivery threshold (design 3.8): UNRELIABLE opens every path, AGREED closes the Reliable early
 * path, BLOCK closes the early and the Agreed path. The Safe path (discard) is never closed.
 */
export type DeliveryThreshold = 'UNRELIABLE' | 'AGREED' | 'BLOCK';

/** Membership states (design 5.2). The ordering module only runs in OP for now. */
export type MembershipState = 'OP' | 'SEG' | 'REPRESENTED' | 'GATHER' | 'FORM' | 'EVS';

export type RingEvent =
  /** A datagram that arrived on the data port (P). */
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** A datagram that arrived on the token port (P+1). */
  | { readonly type: 'token'; readonly bytes: Uint8Array }
  /** A message for the down queue. */
  | { readonly type: 'submit'; readonly message: RingMessage }
  /** A timer armed by a setTimer action fired. */
  | { readonly type: 'timer'; readonly name: RingTimerName }
  /** The group layer changes the delivery threshold. */
  | { readonly type: 'threshold'; readonly threshold: DeliveryThreshold };

/** One message handed up, in delivery order. */
export interface RingDelivery {
  readonly service: RingService;
  /** The bytes submitted at the originator, unchanged. */
  readonly payload: Uint8Array;
  readonly originator: number;
  readonly ringId: RingId;
  /** Seq of the packet that carried the message's last (or only) fragment. */
  readonly seq: number;
  /** Seq of the packet that carried its first fragment. */
  readonly firstSeq: number;
  /** Position inside the packet at `seq`: 0 for the first fragment, 1.. for packed messages. */
  readonly index: number;
  readonly fragments: number;
  /** Delivered by the Reliable early path (may overtake earlier messages). */
  readonly early: boolean;
}

export type RingTraceRecord =
  /** Something the protocol says cannot happen; the simulator fails the run on any. */
  | { readonly kind: 'anomaly'; readonly reason: string }
  /** A datagram dropped before or during processing (bad format, filters). */
  | { readonly kind: 'dropped'; readonly reason: string }
  /** One processed token visit (only with params.trace). */
  | {
      readonly kind: 'tokenVisit';
      readonly arq: number;
      readonly seq: number;
      readonly aru: number;
      readonly myAru: number;
      readonly sent: number;
      readonly retransmitted: number;
      readonly requested: number;
      readonly held: boolean;
    }
  | { readonly kind: 'tokenRejected'; readonly reason: string }
  | { readonly kind: 'hurry'; readonly retrans: number };

export type RingAction =
  /** Send to every other daemon of the configuration (segment broadcast), on their data port. */
  | { readonly type: 'broadcast'; readonly bytes: Uint8Array }
  /** Send to one daemon's data port. */
  | { readonly type: 'unicast'; readonly to: number; readonly bytes: Uint8Array }
  /** Send to one daemon's token port (may be this daemon in a one-daemon ring). */
  | { readonly type: 'sendToken'; readonly to: number; readonly bytes: Uint8Array }
  | { readonly type: 'setTimer'; readonly name: RingTimerName; readonly ms: number }
  | { readonly type: 'cancelTimer'; readonly name: RingTimerName }
  | { readonly type: 'deliver'; readonly delivery: RingDelivery }
  /** The token timeout fired: the ring is gone; the membership algorithm takes over. */
  | { readonly type: 'tokenLost' }
  /**
   * Accelerated Ring (3.12): true = serve the token channel before the data channel until the
   * next token is accepted; false = back to data first.
   */
  | { readonly type: 'tokenPriority'; readonly tokenFirst: boolean }
  | { readonly type: 'trace'; readonly record: RingTraceRecord };

/** Per-service delivery counts. */
export type ServiceCounts = Record<RingService, number>;

export interface RingCounters {
  /** New packets this daemon created. */
  packetsSent: number;
  /** Data packets of this ring stored on receipt. */
  packetsReceived: number;
  duplicatePackets: number;
  /** Packets this daemon retransmitted in answer to requests. */
  retransmissions: number;
  /** Seqs this daemon asked others to retransmit. */
  retransmissionRequests: number;
  tokensAccepted: number;
  tokensRejected: number;
  /** Token re-sends: by the leader's HURRY timer, or by a member answering a hurried token. */
  tokenHurries: number;
  /** Times the leader held the token on an idle ring. */
  tokenHolds: number;
  hurryPacketsSent: number;
  messagesDelivered: number;
  delivered: ServiceCounts;
  /** Datagrams dropped: malformed, wrong hash, unknown or self transmitter, foreign ring. */
  droppedDatagrams: number;
  anomalies: number;
}

export interface RingStatus {
  readonly selfId: number;
  readonly ringId: RingId;
  readonly members: ReadonlyArray<number>;
  readonly leader: number;
  readonly state: MembershipState;
  readonly tokenAlive: boolean;
  readonly tokenHeld: boolean;
  readonly deliveryThreshold: DeliveryThreshold;
  readonly highestSeq: number;
  readonly myAru: number;
  readonly aru: number;
  readonly lastDiscarded: number;
  readonly lastDelivered: number;
  readonly packetsStored: number;
  readonly downQueueLength: number;
  /** Fragments held in reassembly queues. */
  readonly upQueueFragments: number;
  readonly tokenRounds: number;
  readonly receivedTokenRounds: number;
  readonly counters: Readonly<RingCounters>;
}
