// The 48-byte message header and the endian marker (spec section 3).
import {
  HEADER_BYTES,
  LITTLE_ENDIAN_MARKER,
  MAX_GROUP_NAME,
  REJECT_MESS,
} from './constants.ts';
import { readName, writeName } from './names.ts';

export const TYPE_OFFSET = 0;
export const SENDER_OFFSET = 4;
export const NUM_GROUPS_OFFSET = 36;
export const HINT_OFFSET = 40;
export const DATA_LEN_OFFSET = 44;

export interface MessageHeader {
  /** `type` in host terms, with the endian marker bits removed. */
  type: number;
  /** Sender's private group name (data, reject) or the group name (membership). */
  sender: string;
  numGroups: number;
  /** `hint` exactly as its four bytes read little-endian; see decodeHint. */
  hintRaw: number;
  dataLen: number;
  /** Byte order the writer used for type, num_groups and data_len (and, from a daemon, body integers). */
  littleEndian: boolean;
}

/**
 * True when `type` was written little-endian. The marker sits in bit 7 and bit 31, so it lands in
 * the first and last byte in either order; a mixed marker is read the way an x86 reference reader
 * reads it: as foreign (big-endian).
 */
export function isLittleEndianType(buf: Uint8Array, offset: number): boolean {
  return (buf[offset]! & 0x80) !== 0 && (buf[offset + 3]! & 0x80) !== 0;
}

export function readHeader(buf: Buffer, offset = 0): MessageHeader {
  const le = isLittleEndianType(buf, offset + TYPE_OFFSET);
  const type = (le ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset)) & ~LITTLE_ENDIAN_MARKER;
  return {
    type: type >>> 0,
    sender: readName(buf, offset + SENDER_OFFSET),
    numGroups: le ? buf.readInt32LE(offset + NUM_GROUPS_OFFSET) : buf.readInt32BE(offset + NUM_GROUPS_OFFSET),
    hintRaw: buf.readUInt32LE(offset + HINT_OFFSET),
    dataLen: le ? buf.readInt32LE(offset + DATA_LEN_OFFSET) : buf.readInt32BE(offset + DATA_LEN_OFFSET),
    littleEndian: le,
  };
}

/** Writes a header little-endian with the marker (what an x86 writer sends). */
export function writeHeader(
  buf: Buffer,
  offset: number,
  type: number,
  sender: string,
  numGroups: number,
  hintRaw: number,
  dataLen: number,
): void {
  buf.writeUInt32LE((type | LITTLE_ENDIAN_MARKER) >>> 0, offset + TYPE_OFFSET);
  writeName(buf, offset + SENDER_OFFSET, sender, MAX_GROUP_NAME);
  buf.writeInt32LE(numGroups, offset + NUM_GROUPS_OFFSET);
  buf.writeUInt32LE(hintRaw >>> 0, offset + HINT_OFFSET);
  buf.writeInt32LE(dataLen, offset + DATA_LEN_OFFSET);
}

/**
 * Rewrites type, num_groups and data_len of a received frame little-endian with our marker,
 * leaving sender, hint and everything after the header untouched (spec 3.2: the daemon converts
 * what it reads into its own order).
 */
export function normalizeHeaderInPlace(frame: Buffer, h: MessageHeader, type = h.type): void {
  frame.writeUInt32LE((type | LITTLE_ENDIAN_MARKER) >>> 0, TYPE_OFFSET);
  if (!h.littleEndian) {
    frame.writeInt32LE(h.numGroups, NUM_GROUPS_OFFSET);
    frame.writeInt32LE(h.dataLen, DATA_LEN_OFFSET);
  }
}

/** hint for `messType` written by a little-endian writer (spec 3.3). */
export function encodeHint(messType: number): number {
  return (((messType << 8) & 0x00ffff00) | LITTLE_ENDIAN_MARKER) >>> 0;
}

/** The daemon's hint for membership messages: its marker alone. */
export const DAEMON_HINT = LITTLE_ENDIAN_MARKER;

/**
 * Decodes the application's 16-bit mess_type from the raw hint. `endianMismatch` is true when
 * the original sender wrote in the other byte order than ours (we are little-endian).
 */
export function decodeHint(hintRaw: number): { messType: number; endianMismatch: boolean } {
  let h = hintRaw >>> 0;
  let endianMismatch = false;
  if ((h & LITTLE_ENDIAN_MARKER) >>> 0 !== LITTLE_ENDIAN_MARKER) {
    h = (((h & 0xff) << 24) | ((h & 0xff00) << 8) | ((h >>> 8) & 0xff00) | (h >>> 24)) >>> 0;
    endianMismatch = true;
  }
  const messType = ((h >>> 8) & 0xffff) << 16 >> 16; // signed 16-bit, as in libspread
  return { messType, endianMismatch };
}

/** Bytes between the header and the name slots: a reject carries its 4-byte old_type there. */
export function extraHeaderBytes(type: number): number {
  return (type & REJECT_MESS) !== 0 ? 4 : 0;
}

/** Total size of a frame with this header. */
export function frameBytes(h: MessageHeader): number {
  return HEADER_BYTES + extraHeaderBytes(h.type) + 32 * h.numGroups + h.dataLen;
}

/** Reads the destination (or member) names of a frame. */
export function readGroupNames(frame: Buffer, h: MessageHeader): string[] {
  const start = HEADER_BYTES + extraHeaderBytes(h.type);
  const names = new Array<string>(h.numGroups);
  for (let i = 0; i < h.numGroups; i++) names[i] = readName(frame, start + 32 * i);
  return names;
}

/** Offset of the body (data) inside a frame. */
export function bodyOffset(h: MessageHeader): number {
  return HEADER_BYTES + extraHeaderBytes(h.type) + 32 * h.numGroups;
}
