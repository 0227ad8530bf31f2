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
