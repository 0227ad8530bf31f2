// Constants of the Flush library (include/fl.h, libspread/fl_p.h of Spread 5.0.1) that the VS layer
// keeps, so that code ported from C can compare the same numbers. Pure.

/** Receive flag: return WOULD_BLOCK instead of waiting. */
export const DONT_BLOCK = 0x10000000;
/** Service bit of a delivered flush request. */
export const FLUSH_REQ_MESS = 0x20000000;
/** Service bit of a delivered subgroup cast or unicast. */
export const SUBGROUP_CAST = 0x40000000;

// Flush error codes (negative returns), next to Spread's -1 .. -20.
export const ILLEGAL_PARAM = -24;
export const WOULD_BLOCK = -25;
export const ILLEGAL_MESSAGE_TYPE = -26;
export const ILLEGAL_STATE = -27;
export const ILLEGAL_RECEIVERS = -28;

/** mess_type values reserved for VS frames (Flush reserves the same three). */
export const FLUSH_OK_MESS_TYPE = -32768;
export const FLUSH_RECV_MESS_TYPE = -32767;
/** A data frame with a VS header: vulnerable (view tag) and/or subgroup (group name). */
export const VS_DATA_MESS_TYPE = -32766;
/** Smallest mess_type an application may send. */
export const FL_MIN_LEGAL_MESS_TYPE = -32765;
export const FL_MAX_LEGAL_MESS_TYPE = 32767;

/** Pieces per scatter an application may pass (Flush keeps one of Spread's 100 for its trailer). */
export const FL_MAX_SCATTER_ELEMENTS = 99;

/** A FLUSH_OK for a view we never see is forgotten after this many EVS memberships of its group. */
export const FLOK_AGE_LIMIT = 200;
/** Bound on such early FLUSH_OK records per group (a bad peer must not grow memory without end). */
export const PLACEHOLDERS_MAX = 64;

/** Flush's version (FL_version). */
export const FL_VERSION = { major: 2, minor: 0, patch: 0 } as const;

export const FL_ERROR_NAMES: Readonly<Record<number, string>> = {
  [ILLEGAL_PARAM]: 'ILLEGAL_PARAM',
  [WOULD_BLOCK]: 'WOULD_BLOCK',
  [ILLEGAL_MESSAGE_TYPE]: 'ILLEGAL_MESSAGE_TYPE',
  [ILLEGAL_STATE]: 'ILLEGAL_STATE',
  [ILLEGAL_RECEIVERS]: 'ILLEGAL_RECEIVERS',
};

export const FL_ERROR_TEXT: Readonly<Record<number, string>> = {
  [ILLEGAL_PARAM]: 'Illegal parameter passed to a function',
  [WOULD_BLOCK]: 'The operation would block',
  [ILLEGAL_MESSAGE_TYPE]: 'Illegal message type: types below FL_MIN_LEGAL_MESS_TYPE are reserved',
  [ILLEGAL_STATE]: 'The group is not in a state that allows this operation',
  [ILLEGAL_RECEIVERS]: 'A receiver is not a member of the last installed view',
};
