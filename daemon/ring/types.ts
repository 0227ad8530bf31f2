// Events into and actions out of the ring core (design 1.5, 10.1).
import type { RingId, RingService } from '../wire/types.ts';
import type { RingParams } from './params.ts';

export type { RingId, RingService } from '../wire/types.ts';

/** A message as the ring sees it: opaque bytes (a client frame, put there by the session layer). */
export interface RingMessage {
  readonly service: RingService;
  /** 1..MAX_RING_PAYLOAD bytes; delivered byte-identical. */
  readonly payload: Uint8Array;
}

/**
 * Named timers with "set replaces, cancel removes" semantics (design 1.5, 10.1). TOKEN_LOSS is
 * armed with the Token timeout, and with the Form timeout while in FORM (one slot). DELIVER_* are
 * zero-delay catch-up passes after the delivery threshold was lowered. The rest are membership's:
 * ALIVE (Alive period), JOIN (Join period), SEG_DECIDE (Seg timeout), REP_LOST (Rep timeout),
 * FORM_OR_FAIL (Gather timeout), LOOKUP (Lookup timeout).
 */
export type RingTimerName =
  | 'TOKEN_LOSS'
  | 'HURRY'
  | 'DELIVER_RELIABLE'
  | 'DELIVER_AGREED'
  | 'ALIVE'
  | 'JOIN'
  | 'SEG_DECIDE'
  | 'REP_LOST'
  | 'FORM_OR_FAIL'
  | 'LOOKUP';

export const RING_TIMER_NAMES: ReadonlyArray<RingTimerName> = [
  'TOKEN_LOSS',
  'HURRY',
  'DELIVER_RELIABLE',
  'DELIVER_AGREED',
  'ALIVE',
  'JOIN',
  'SEG_DECIDE',
  'REP_LOST',
  'FORM_OR_FAIL',
  'LOOKUP',
];

/**
 * Delivery threshold (design 3.8): UNRELIABLE opens every path, AGREED closes the Reliable early
 * path, BLOCK closes the early and the Agreed path. The Safe path (discard) is never closed.
 */
export type DeliveryThreshold = 'UNRELIABLE' | 'AGREED' | 'BLOCK';

/** Membership states (design 5.2). */
export type MembershipState = 'OP' | 'SEG' | 'REPRESENTED' | 'GATHER' | 'FORM' | 'EVS';

/** Which down queue a message goes to: client messages, or the group layer's state exchange (7.6, 7.7). */
export type DownQueueName = 'normal' | 'groups';

export type RingEvent =
  /**
   * The daemon starts: alone, with no ring (design 5.2: member set {me}, then at once "token
   * lost"); the membership algorithm forms a singleton ring and merges with the others it finds.
   */
  | { readonly type: 'start' }
  /** A datagram that arrived on the data port (P). */
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** A datagram that arrived on the token port (P+1). */
  | { readonly type: 'token'; readonly bytes: Uint8Array }
  /** A message for a down queue (default the normal one). */
  | { readonly type: 'submit'; readonly message: RingMessage; readonly queue?: DownQueueName }
  /** A timer armed by a setTimer action fired. */
  | { readonly type: 'timer'; readonly name: RingTimerName }
  /** The group layer changes the delivery threshold. */
  | { readonly type: 'threshold'; readonly threshold: DeliveryThreshold }
  /**
   * The group layer's switch (design 7.6): while on, the token drains the GROUPS queue and leaves
   * the normal queue alone.
   */
  | { readonly type: 'useGroupsQueue'; readonly on: boolean }
  /** Drops whatever is left in the GROUPS queue (stale state-exchange messages after a cascade). */
  | { readonly type: 'clearGroupsQueue' }
  /** A reloaded configuration's parameters (see reconfigure.ts). */
  | { readonly type: 'reconfigure'; readonly params: RingParams };

/** One message handed up, in delivery order. */
export interface RingDelivery {
  readonly type: 'message';
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
  /**
   * The configuration it is delivered in: the regular ring id (equal to `ringId`), or the
   * transitional id when `inTransitional` (design 6.4 phase B3).
   */
  readonly configId: RingId;
  readonly inTransitional: boolean;
}

/**
 * A transitional configuration (design 6.4 B2): the members of the new ring that come with me
 * from my old regular configuration. It follows the old ring's last messages delivered in the
 * old configuration, and precedes the messages delivered in it and the next regular configuration.
 */
export interface TransitionalConfiguration {
  readonly type: 'transitional';
  /** {first member in configuration order, transitional time} (design 5.7). */
  readonly configId: RingId;
  /** Daemon ids in configuration order; I am one of them. */
  readonly members: ReadonlyArray<number>;
  /** The regular configuration it leaves. */
  readonly fromRingId: RingId;
  /** The regular configuration that follows it. */
  readonly toRingId: RingId;
  /** Originators whose messages after a hole are still delivered (normally = members; 6.5). */
  readonly commitSet: ReadonlyArray<number>;
}

/** A regular configuration (design 6.4 B5): the new ring is installed. */
export interface RegularConfiguration {
  readonly type: 'regular';
  readonly ringId: RingId;
  /** Daemon ids in configuration (ring) order; the first is the leader. */
  readonly members: ReadonlyArray<number>;
  /** The transitional configuration that precedes it. */
  readonly transitionalId: RingId;
}

export type ConfigurationEvent = TransitionalConfiguration | RegularConfiguration;

/** What the ring hands up, in order: messages and configuration changes. */
export type RingUpcall = RingDelivery | ConfigurationEvent;

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
  | { readonly kind: 'hurry'; readonly retrans: number }
  | { readonly kind: 'heldVisitResumed'; readonly seq: number; readonly sent: number }
  /** A message's last fragment got its seq (only with params.traceSends; the payload is not copied). */
  | { readonly kind: 'sent'; readonly ringId: RingId; readonly seq: number; readonly index: number; readonly payload: Uint8Array }
  /** Membership state changes and decisions (only with params.trace). */
  | { readonly kind: 'membership'; readonly event: string }
  /** This daemon committed to the recovery of its old ring (6.3, 6.5). */
  | { readonly kind: 'commit' };

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
  | TransitionalConfiguration
  | RegularConfiguration
  /** The token is lost (timeout, ALIVE or JOIN from a member, form timeout): membership starts over. */
  | { readonly type: 'tokenLost'; readonly state: MembershipState }
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
  /** Held tokens the leader sent on with new messages of its own in the held visit. */
  heldVisitsResumed: number;
  hurryPacketsSent: number;
  messagesDelivered: number;
  delivered: ServiceCounts;
  /** Datagrams dropped: malformed, wrong hash, unknown or self transmitter, foreign ring. */
  droppedDatagrams: number;
  anomalies: number;
  /** Regular configurations installed (Spread's membership_changes). */
  membershipChanges: number;
  tokenLosses: number;
  formTokensCreated: number;
  /** Recovery attempts abandoned by the MAX_EVS_ROUNDS safety valve. */
  evsValve: number;
  /** Seqs of old rings marked as holes on reading FORM2 (nobody present held them). */
  recoveryHoles: number;
  /** Packets discarded at the end of recovery: after a hole, from outside the commit set (6.4 B3). */
  recoveryDiscarded: number;
  /** Packets after a hole delivered only because their originator is in the commit set, not in T (6.5). */
  recoveryByCommitSet: number;
}

export interface RingStatus {
  readonly selfId: number;
  readonly ringId: RingId;
  readonly members: ReadonlyArray<number>;
  readonly leader: number;
  readonly state: MembershipState;
  /** Regular configurations installed since start (Spread's "memb change"). */
  readonly membershipChanges: number;
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
  /** The ring being installed (EVS), else undefined. */
  readonly futureRingId: RingId | undefined;
  readonly futureMembers: ReadonlyArray<number> | undefined;
  /** The last transitional configuration delivered, if any. */
  readonly transitionalId: RingId | undefined;
  readonly groupsQueueLength: number;
  readonly usingGroupsQueue: boolean;
  readonly counters: Readonly<RingCounters>;
}
