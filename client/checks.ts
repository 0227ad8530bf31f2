// Checks made before anything is sent (spec 8.7). Each returns 0 or the error code; both APIs
// use them, the C-style one returning the code and the class API throwing the matching error.
import {
  ILLEGAL_GROUP,
  ILLEGAL_SERVICE,
  MAX_GROUPS_PER_MESSAGE,
  MAX_SAFE_MESSAGE_PAYLOAD,
  MESSAGE_TOO_LONG,
  REGULAR_MESS,
  SELF_DISCARD,
  isSingleBit,
} from './wire/constants.ts';
import { isLegalDestination, isLegalGroupName } from './wire/names.ts';

/** Join and leave: 1..31 bytes, each in '$'..'~'. */
export function checkGroupName(group: string): number {
  return isLegalGroupName(group) ? 0 : ILLEGAL_GROUP;
}

/**
 * Exactly one of the six service bits, optionally SELF_DISCARD, and nothing else: libspread
 * only requires some service bit, but a second one (or a command bit) makes the daemon close the
 * session, and membership or reject bits would mislead receivers of a reference daemon (spec 7).
 */
export function checkServiceType(serviceType: number): number {
  const t = serviceType >>> 0;
  if ((t & ~(REGULAR_MESS | SELF_DISCARD)) !== 0) return ILLEGAL_SERVICE;
  return isSingleBit(t & REGULAR_MESS) ? 0 : ILLEGAL_SERVICE;
}

/** At most 100 destinations and 143152 bytes of slots plus body (what a 5.0.1 daemon survives). */
export function checkMessageSize(numGroups: number, dataLen: number): number {
  if (numGroups > MAX_GROUPS_PER_MESSAGE) return MESSAGE_TOO_LONG;
  return 32 * numGroups + dataLen > MAX_SAFE_MESSAGE_PAYLOAD ? MESSAGE_TOO_LONG : 0;
}

/** Every destination must fit a slot with its NUL (1..31 bytes). */
export function checkDestinations(groups: readonly string[]): number {
  for (const g of groups) if (!isLegalDestination(g)) return ILLEGAL_GROUP;
  return 0;
}

/** All multicast checks in libspread's order: service, size, then destinations. */
export function checkMulticast(serviceType: number, groups: readonly string[], dataLen: number): number {
  return checkServiceType(serviceType) || checkMessageSize(groups.length, dataLen) || checkDestinations(groups);
}
