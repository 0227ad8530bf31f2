// Sizes and codes of the daemon-to-daemon datagrams (design 3.1, Appendix A). Our own encoding:
// network byte order, a version byte first, the configuration hash in every datagram.
import { MAX_MESSAGE_BODY_LEN } from '../../client/wire/constants.ts';

/** First byte of every datagram; a daemon drops any other version. */
export const WIRE_VERSION = 1;

/** Second byte: what the datagram is. Data-port kinds and token-port kinds share one space. */
export const DatagramKind = {
  DATA: 1,
  TOKEN: 2,
  HURRY: 3,
  // Membership (membership.ts, form-token.ts).
  ALIVE: 4,
  JOIN: 5,
  REFER: 6,
  FORM1: 7,
  FORM2: 8,
  // The monitor's control packets (control.ts).
  STATUS: 9,
  PARTITION: 10,
  FLOW_CONTROL: 11,
  RELOAD: 12,
} as const;
export type DatagramKind = (typeof DatagramKind)[keyof typeof DatagramKind];

/** Every datagram starts with: version u8, kind u8, two kind-specific bytes, config hash u32, transmitter u32. */
export const ENVELOPE_BYTES = 12;
export const VERSION_OFFSET = 0;
export const KIND_OFFSET = 1;
export const CONFIG_HASH_OFFSET = 4;
export const TRANSMITTER_OFFSET = 8;

/** Spread's MAX_PACKET_SIZE: one Ethernet MTU of UDP payload; our default datagram off loopback. */
export const MAX_DATAGRAM_BYTES = 1472;
/**
 * The datagram size `PacketSize = auto` picks when every daemon is on loopback (MTU 64 KB): a
 * 10 KB message fits in one packet and a visit moves 11 times the bytes for the same per-datagram
 * cost, while Window packets still fit the 4 MB socket buffers the driver asks for.
 */
export const LOOPBACK_DATAGRAM_BYTES = 16_384;
/** Largest UDP payload over IPv4: the upper bound of `PacketSize` and of what a receiver accepts. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;
export const DATA_HEADER_BYTES = 40;
/** Packet body at the default size (Spread's sizeof(packet_body)); the ring's own size is a parameter. */
export const PACKET_BODY_BYTES = MAX_DATAGRAM_BYTES - DATA_HEADER_BYTES;
/** The largest body any daemon may send (PacketSize at its maximum). */
export const MAX_PACKET_BODY_BYTES = MAX_UDP_PAYLOAD_BYTES - DATA_HEADER_BYTES;
/** Header of each fragment packed after the first one: service u8, reserved u8, length u16. */
export const FRAGMENT_HEADER_BYTES = 4;

/** Largest ring message: the session layer's limit on a client frame, one constant for both checks. */
export const MAX_RING_PAYLOAD = MAX_MESSAGE_BODY_LEN;
/**
 * Fragments per message. Spread's MAX_SCATTER_ELEMENTS is 100, but 100 bodies of 1432 bytes hold
 * only 143200 bytes; we derive the count from the payload limit instead (101), so that a client
 * frame the session layer accepts always fits.
 */
export const MAX_FRAGMENTS = Math.ceil(MAX_RING_PAYLOAD / PACKET_BODY_BYTES);

export const TOKEN_HEADER_BYTES = 44;
export const RTR_ENTRY_HEADER_BYTES = 16;
/** A token never grows beyond one datagram (a fragmented token is likelier to be lost). */
export const MAX_TOKEN_BYTES = MAX_DATAGRAM_BYTES;
/** Retransmission entries on one token: one per old ring during recovery (MAX_FORM_REPS) plus one. */
export const MAX_RTR_ENTRIES = 21;

export const HURRY_BYTES = 20;

/** "No daemon" in id fields (aru setter, retransmission target); daemon ids avoid 0xFFFFFFFF. */
export const NO_DAEMON = -1;
/** "No segment" in the retransmission target segment field. */
export const NO_SEGMENT = -1;
/** The aru of the first token of a new ring: above any seq, so that the leader lowers it. */
export const ARU_UNSET = 0xffffffff;

/** Daemons in one ring or one membership list (Spread's MAX_PROCS_RING). */
export const MAX_PROCS_RING = 128;
/** Representatives on a JOIN or a FORM1 token (Spread's MAX_REPS). */
export const MAX_REPS = 25;
/** Ring infos (old rings) on a form token (Spread's MAX_FORM_REPS). */
export const MAX_FORM_REPS = 20;
/**
 * A form token carries one ring info per old ring with its holes; holes travel as ranges, so the
 * token is normally small, but it may exceed one MTU in a bad recovery (rare path: IP
 * fragmentation is acceptable there). Bounded by what one UDP datagram can hold.
 */
export const MAX_FORM_TOKEN_BYTES = 65_000;
