// Decoded forms of the daemon-to-daemon datagrams.

/** Packet classes (design 3.8); clients' UNRELIABLE and CAUSAL are mapped to RELIABLE and AGREED above us. */
export type RingService = 'RELIABLE' | 'FIFO' | 'AGREED' | 'SAFE';

export const RING_SERVICES: ReadonlyArray<RingService> = ['RELIABLE', 'FIFO', 'AGREED', 'SAFE'];

/** Ring id {proc id of the ring's leader, that leader's time counter} (design 1.6, 5.7). */
export interface RingId {
  readonly procId: number;
  readonly time: number;
}

export function ringIdEquals(a: RingId, b: RingId): boolean {
  return a.procId === b.procId && a.time === b.time;
}

export function formatRingId(r: RingId): string {
  return `${r.procId >>> 0}:${r.time >>> 0}`;
}

/** The common first 12 bytes of every datagram. */
export interface Envelope {
  readonly version: number;
  readonly kind: number;
  readonly configHash: number;
  readonly transmitter: number;
}

/** A data packet (design 3.1). `body` and `datagram` are views of the received bytes, not copies. */
export interface DataPacket {
  readonly service: RingService;
  /** ROUTED flag: re-broadcast by a segment leader (multi-segment, later). */
  readonly routed: boolean;
  readonly configHash: number;
  /** Last hop: differs from originator for retransmissions. */
  readonly transmitter: number;
  /** The daemon that created the packet. */
  readonly originator: number;
  readonly ringId: RingId;
  readonly seq: number;
  /** Originator's token-round counter when broadcast (Accelerated Ring, 3.12). */
  readonly tokenRound: number;
  /** 1..n-1 for inner fragments of an n-fragment message, -n for its last, -1 for a whole message. */
  readonly firstFragmentIndex: number;
  readonly firstFragmentLength: number;
  /** First fragment, then zero or more whole messages each behind a fragment header (3.7). */
  readonly body: Uint8Array;
  /** The whole datagram, kept for retransmission. */
  readonly datagram: Uint8Array;
}

/** One retransmission request entry on the token (design 3.6). */
export interface RtrEntry {
  readonly ringId: RingId;
  /** Daemon to answer by unicast, or NO_DAEMON. */
  readonly targetDaemon: number;
  /** Segment to answer by segment broadcast, or NO_SEGMENT. */
  readonly targetSegment: number;
  readonly seqs: ReadonlyArray<number>;
}

/** The regular token (design 3.1). Mutable: a daemon rewrites the token it received and sends it on. */
export interface Token {
  configHash: number;
  transmitter: number;
  /** The last daemon that processed it. */
  procId: number;
  ringId: RingId;
  /** Leader's rotation counter mod 16. */
  arq: number;
  /** How many times the leader re-sent this rotation (0..255). */
  retrans: number;
  seq: number;
  aru: number;
  /** Daemon that last set aru (Spread's aru_last_id), or NO_DAEMON. */
  aruSetter: number;
  /** Packets (new + retransmitted) sent by the ring during the last rotation. */
  flowControl: number;
  rtr: RtrEntry[];
}

/** HURRY: asks the leader to release a held token (design 3.10). */
export interface HurryPacket {
  readonly configHash: number;
  readonly transmitter: number;
  readonly ringId: RingId;
}

/** Kinds of representative (design 5.1): a guess, a segment's ring-less daemons, a live ring's leader. */
export const RepType = { POTENTIAL: 0, SEG: 1, RING: 2 } as const;
export type RepType = (typeof RepType)[keyof typeof RepType];

export interface RepInfo {
  readonly id: number;
  readonly type: RepType;
  readonly segIndex: number;
}

/** ALIVE (design 5.3): "I am here without a ring", with my current F_members. */
export interface AliveMessage {
  readonly configHash: number;
  readonly transmitter: number;
  readonly members: ReadonlyArray<number>;
}

/** JOIN (design 5.3): an offer to merge; the first rep listed is the sender. */
export interface JoinMessage {
  readonly configHash: number;
  readonly transmitter: number;
  readonly members: ReadonlyArray<number>;
  readonly reps: ReadonlyArray<RepInfo>;
}

/** REFER (design 5.3): "talk to this representative instead". */
export interface ReferMessage {
  readonly configHash: number;
  readonly transmitter: number;
  readonly rep: number;
  readonly repType: RepType;
}

/**
 * What the daemons present in a new ring know of one old ring (design 5.3): its id, the
 * transitional time (0 until the first of its members sets it on FORM2), the highest stable aru
 * and highest seq among them, the seqs none of them holds (holes), and the member list whose first
 * `trans` entries are the trans list, the whole list being the commit list (6.5).
 */
export interface RingInfo {
  ringId: RingId;
  transTime: number;
  aru: number;
  highestSeq: number;
  /** Ascending seqs. */
  holes: number[];
  trans: number;
  commit: number[];
}

/**
 * FORM1 and FORM2 (design 5.6). FORM1 carries the reps list with its cursor; FORM2 the new ring
 * id. `members`: the first `confirmed` are confirmed, the rest pending. Mutable: each daemon
 * rewrites the token and passes it on.
 */
export interface FormToken {
  kind: 'FORM1' | 'FORM2';
  configHash: number;
  transmitter: number;
  /** The last daemon that processed it. */
  procId: number;
  /** Identifies the attempt: a FORM2 is read only by daemons that handled this FORM1. */
  formId: RingId;
  /** Larger than any seq of any old ring: the recovery-complete marker (6.3). */
  seqFloor: number;
  members: number[];
  confirmed: number;
  /** FORM1 only. */
  reps: RepInfo[];
  /** FORM1 only: the rep whose turn it is. */
  repCursor: number;
  /** FORM2 only: written by the future leader. */
  newRingId: RingId;
  rings: RingInfo[];
}
