// What a received frame means to an application (spec 8.1 and 8.4), shared by both APIs. Pure.
import { HEADER_BYTES, REJECT_MESS, isRegular, isRegularMembership, isReject, isTransition } from './wire/constants.ts';
import { bodyOffset, decodeHint, extraHeaderBytes, type MessageHeader } from './wire/header.ts';
import { readName } from './wire/names.ts';
import { readRejectOldType } from './wire/message.ts';

/** The service type libspread reports: `old_type | REJECT_MESS` for a reject, else `type` (marker cleared). */
export function reportedServiceType(frame: Buffer, h: MessageHeader): number {
  return isReject(h.type) ? (readRejectOldType(frame, h) | REJECT_MESS) >>> 0 : h.type;
}

/** mess_type and endian_mismatch from the hint of a data message or reject; -1 and 0 otherwise. */
export function hintOutputs(h: MessageHeader): { messType: number; endianMismatch: boolean } {
  if (isRegular(h.type) || isReject(h.type)) return decodeHint(h.hintRaw);
  return { messType: -1, endianMismatch: false };
}

/** Name in slot `i` of a frame. */
export function slotName(frame: Buffer, h: MessageHeader, i: number): string {
  return readName(frame, HEADER_BYTES + extraHeaderBytes(h.type) + 32 * i);
}

/** Index of the first slot equal to `privateGroup`, or -1 (a regular membership's mess_type). */
export function ownIndex(frame: Buffer, h: MessageHeader, privateGroup: string): number {
  for (let i = 0; i < h.numGroups; i++) if (slotName(frame, h, i) === privateGroup) return i;
  return -1;
}

const swap32 = (buf: Buffer, off: number): void => {
  buf.subarray(off, off + 4).swap32();
};

/**
 * Rewrites the integers of a big-endian daemon's membership body little-endian, in place (spec 8.1
 * step 10, which libspread does for regular memberships; we also convert a transitional body's
 * group id, which libspread leaves alone, so that it can be compared). Counts are walked with
 * bounds checks: a malformed body is converted as far as it is well formed.
 */
export function membershipBodyToLittleEndian(frame: Buffer, h: MessageHeader): void {
  if (h.littleEndian) return;
  const start = bodyOffset(h);
  const end = Math.min(frame.length, start + h.dataLen);
  if (isTransition(h.type)) {
    for (let p = start; p + 4 <= end && p < start + 12; p += 4) swap32(frame, p);
    return;
  }
  if (!isRegularMembership(h.type)) return;
  for (let p = start; p + 4 <= end && p < start + 20; p += 4) swap32(frame, p);
  if (start + 20 > end) return;
  const count = frame.readUInt32LE(start + 12);
  let p = start + 20;
  for (let i = 0; i < count && p + 4 <= end; i++) {
    swap32(frame, p);
    const k = frame.readUInt32LE(p);
    p += 4 + 32 * k;
  }
}
