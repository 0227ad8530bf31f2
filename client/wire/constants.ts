// Constants of the Spread client wire protocol (spec sections 6.1 to 6.3).

// Service type bits (include/sp.h).
export const UNRELIABLE_MESS = 0x00000001;
export const RELIABLE_MESS = 0x00000002;
export const FIFO_MESS = 0x00000004;
export const CAUSAL_MESS = 0x00000008;
export const AGREED_MESS = 0x00000010;
export const SAFE_MESS = 0x00000020;
export const REGULAR_MESS = 0x0000003f;
export const SELF_DISCARD = 0x00000040;
export const ENDIAN_RESERVED = 0x80000080;
export const CAUSED_BY_JOIN = 0x00000100;
export const CAUSED_BY_LEAVE = 0x00000200;
export const CAUSED_BY_DISCONNECT = 0x00000400;
export const CAUSED_BY_NETWORK = 0x00000800;
export const REG_MEMB_MESS = 0x00001000;
export const TRANSITION_MESS = 0x00002000;
export const MEMBERSHIP_MESS = 0x00003f00;
export const RESERVED = 0x003fc000;
export const REJECT_MESS = 0x00400000;
export const DROP_RECV = 0x01000000;

// Daemon-internal command bits; only JOIN, LEAVE and KILL appear on the wire (C>D).
export const JOIN_MESS = 0x00010000;
export const LEAVE_MESS = 0x00020000;
export const KILL_MESS = 0x00040000;
export const GROUPS_MESS = 0x00080000;
export const COMMAND_MESS = JOIN_MESS | LEAVE_MESS | KILL_MESS;

/** The marker a little-endian writer ORs into `type` and `hint`. */
export const LITTLE_ENDIAN_MARKER = 0x80000080;

// Return and error codes (spec 6.2).
export const ACCEPT_SESSION = 1;
export const ILLEGAL_SPREAD = -1;
export const COULD_NOT_CONNECT = -2;
export const REJECT_QUOTA = -3;
export const REJECT_NO_NAME = -4;
export const REJECT_ILLEGAL_NAME = -5;
export const REJECT_NOT_UNIQUE = -6;
export const REJECT_VERSION = -7;
export const CONNECTION_CLOSED = -8;
export const REJECT_AUTH = -9;
export const ILLEGAL_SESSION = -11;
export const ILLEGAL_SERVICE = -12;
export const ILLEGAL_MESSAGE = -13;
export const ILLEGAL_GROUP = -14;
export const BUFFER_TOO_SHORT = -15;
export const GROUPS_TOO_SHORT = -16;
export const MESSAGE_TOO_LONG = -17;
export const NET_ERROR_ON_SESSION = -18;
export const SP_BUG = -19;
export const ILLEGAL_TIME = -20;

export const ERROR_NAMES: Readonly<Record<number, string>> = {
  [ILLEGAL_SPREAD]: 'ILLEGAL_SPREAD',
  [COULD_NOT_CONNECT]: 'COULD_NOT_CONNECT',
  [REJECT_QUOTA]: 'REJECT_QUOTA',
  [REJECT_NO_NAME]: 'REJECT_NO_NAME',
  [REJECT_ILLEGAL_NAME]: 'REJECT_ILLEGAL_NAME',
  [REJECT_NOT_UNIQUE]: 'REJECT_NOT_UNIQUE',
  [REJECT_VERSION]: 'REJECT_VERSION',
  [CONNECTION_CLOSED]: 'CONNECTION_CLOSED',
  [REJECT_AUTH]: 'REJECT_AUTH',
  [ILLEGAL_SESSION]: 'ILLEGAL_SESSION',
  [ILLEGAL_SERVICE]: 'ILLEGAL_SERVICE',
  [ILLEGAL_MESSAGE]: 'ILLEGAL_MESSAGE',
  [ILLEGAL_GROUP]: 'ILLEGAL_GROUP',
  [BUFFER_TOO_SHORT]: 'BUFFER_TOO_SHORT',
  [GROUPS_TOO_SHORT]: 'GROUPS_TOO_SHORT',
  [MESSAGE_TOO_LONG]: 'MESSAGE_TOO_LONG',
  [NET_ERROR_ON_SESSION]: 'NET_ERROR_ON_SESSION',
  [SP_BUG]: 'SP_BUG',
  [ILLEGAL_TIME]: 'ILLEGAL_TIME',
};

// Limits (spec 6.3).
export const DEFAULT_SPREAD_PORT = 4803;
export const MAX_GROUP_NAME = 32;
export const MAX_PRIVATE_NAME = 10;
export const MAX_PROC_NAME = 20;
export const MAX_AUTH_NAME = 30;
export const MAX_AUTH_METHODS = 3;
export const AUTH_CHOICE_BYTES = MAX_AUTH_NAME * MAX_AUTH_METHODS;
export const MAX_GROUPS_PER_MESSAGE = 100;
export const MAX_MESSAGE_BODY_LEN = 144000;
export const HEADER_BYTES = 48;
/** Largest `32*num_groups + data_len` the daemon's header check lets through. */
export const MAX_DAEMON_MESSAGE_PAYLOAD = MAX_MESSAGE_BODY_LEN - HEADER_BYTES;
/** Largest `32*num_groups + data_len` a reference 5.0.1 daemon survives; our client never exceeds it. */
export const MAX_SAFE_MESSAGE_PAYLOAD = 143152;
export const MAX_SESSIONS = 997;
export const MAX_LOCAL_GROUP_MEMBERS = 3122;
export const DEFAULT_MAX_SESSION_MESSAGES = 1000;

/** Version our client announces and our daemon reports. */
export const SPREAD_VERSION = { major: 5, minor: 0, patch: 1 } as const;

const SERVICE_NAMES: ReadonlyArray<readonly [number, string]> = [
  [UNRELIABLE_MESS, 'UNRELIABLE'],
  [RELIABLE_MESS, 'RELIABLE'],
  [FIFO_MESS, 'FIFO'],
  [CAUSAL_MESS, 'CAUSAL'],
  [AGREED_MESS, 'AGREED'],
  [SAFE_MESS, 'SAFE'],
];

/** The name of the single service bit of `type` (e.g. 'AGREED'), or undefined. */
export function serviceName(type: number): string | undefined {
  for (const [bit, name] of SERVICE_NAMES) if ((type & REGULAR_MESS) === bit) return name;
  return undefined;
}

/** True when exactly one bit is set in `bits`. */
export function isSingleBit(bits: number): boolean {
  return bits !== 0 && (bits & (bits - 1)) === 0;
}

// Predicates of libspread (spec 6.1).
export const isRegular = (t: number): boolean => (t & REGULAR_MESS) !== 0 && (t & REJECT_MESS) === 0;
export const isMembership = (t: number): boolean => (t & MEMBERSHIP_MESS) !== 0 && (t & REJECT_MESS) === 0;
export const isRegularMembership = (t: number): boolean => isMembership(t) && (t & REG_MEMB_MESS) !== 0;
export const isTransition = (t: number): boolean => isMembership(t) && (t & TRANSITION_MESS) !== 0;
export const isSelfLeave = (t: number): boolean =>
  (t & CAUSED_BY_LEAVE) !== 0 && (t & (REG_MEMB_MESS | TRANSITION_MESS)) === 0 && (t & REJECT_MESS) === 0;
export const isReject = (t: number): boolean => (t & REJECT_MESS) !== 0;
