// Limits of the ordering protocol (design 3.11, Appendix A).

/** No new packets while highestSeq > aru + MAX_SEQ_GAP (also bounds memory). */
export const MAX_SEQ_GAP = 1600;
/** Outside recovery a token whose seq exceeds this is swallowed; a new ring restarts at 1. */
export const MAX_WRAP_SEQUENCE_VALUE = 2 ** 30;
/** Spread's packet array size: a packet this far beyond lastDiscarded cannot be legitimate. */
export const MAX_PACKETS_IN_STRUCT = 8192;
/** Down-queue length at which the session layer stops reading clients (design 8.4). */
export const WATER_MARK = 500;
/** Recovery rounds before the safety valve forces a token loss (design 3.11). */
export const MAX_EVS_ROUNDS = 500;
