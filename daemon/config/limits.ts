// Configuration limits and defaults (design 2.1-2.3, Appendix A).

export const MAX_SEGMENTS = 20;
export const MAX_PROCS_RING = 128;
export const MAX_PROCS_SEGMENT = 128;
export const MAX_ADDRS_SEGMENT = 5;
export const MAX_INTERFACES_PROC = 10;

export const DEFAULT_WINDOW = 160;
export const DEFAULT_PERSONAL_WINDOW = 20;
export const DEFAULT_ACCELERATED_WINDOW = 15;

/** The time stamp format that a bare `EventTimeStamp` stands for. */
export const DEFAULT_TIMESTAMP_FORMAT = '[%a %d %b %Y %H:%M:%S]';

/** Largest number the reference lexer reads (nine digits). */
export const MAX_CONFIG_NUMBER = 999_999_999;
