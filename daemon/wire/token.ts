// Regular token codec (design 3.1, 3.6).
//
// Header, 44 bytes, network byte order:
//   0 version u8 | 1 kind u8 = TOKEN | 2 arq u8 (0..15) | 3 retrans u8
//   4 config hash u32 | 8 transmitter u32 | 12 proc id u32 (last processor)
//  16 ring id proc u32 | 20 ring id time u32 | 24 seq u32 | 28 aru u32 | 32 aru setter u32
//  36 flow control i32 | 40 number of request entries u16 | 42 zero u16
// Then each request entry: ring id proc u32, ring id time u32, target daemon u32 (0xFFFFFFFF none),
// target segment i16 (-1 none), count u16, then count seqs u32.
import {
  CONFIG_HASH_OFFSET,
  DatagramKind,
  MAX_RTR_ENTRIES,
  MAX_TOKEN_BYTES,
  RTR_ENTRY_HEADER_BYTES,
  TOKEN_HEADER_BYTES,
  TRANSMITTER_OFFSET,
  WIRE_VERSION,
} from './constants.ts';
import { readDaemonId, readI16, readI32, readU16, readU32, writeU16, writeU32 } from './bytes.ts';
import type { RtrEntry, Token } from './types.ts';

/** Encoded size of a token with these request entries. */
export function tokenBytes(rtr: ReadonlyArray<RtrEntry>): number {
  let n = TOKEN_HEADER_BYTES;
  for (const e of rtr) n += RTR_ENTRY_HEADER_BYTES + 4 * e.seqs.length;
  return n;
}

/** The seq field of an encoded regular token (the caller checked its kind and length). */
export function peekTokenSeq(bytes: Uint8Array): number {
  return readU32(bytes, 24);
}

export function encodeToken(t: Token): Buffer {
  const buf = Buffer.allocUnsafe(tokenBytes(t.rtr));
  buf[0] = WIRE_VERSION;
  buf[1] = DatagramKind.TOKEN;
  buf[2] = t.arq & 0x0f;
  buf[3] = Math.min(t.retrans, 255);
  writeU32(buf, CONFIG_HASH_OFFSET, t.configHash);
  writeU32(buf, TRANSMITTER_OFFSET, t.transmitter);
  writeU32(buf, 12, t.procId);
  writeU32(buf, 16, t.ringId.procId);
  writeU32(buf, 20, t.ringId.time);
  writeU32(buf, 24, t.seq);
  writeU32(buf, 28, t.aru);
  writeU32(buf, 32, t.aruSetter);
  writeU32(buf, 36, t.flowControl);
  writeU16(buf, 40, t.rtr.length);
  writeU16(buf, 42, 0);
  let pos = TOKEN_HEADER_BYTES;
  for (const e of t.rtr) {
    writeU32(buf, pos, e.ringId.procId);
    writeU32(buf, pos + 4, e.ringId.time);
    writeU32(buf, pos + 8, e.targetDaemon);
    writeU16(buf, pos + 12, e.targetSegment & 0xffff);
    writeU16(buf, pos + 14, e.seqs.length);
    pos += RTR_ENTRY_HEADER_BYTES;
    for (const s of e.seqs) {
      writeU32(buf, pos, s);
      pos += 4;
    }
  }
  return buf;
}

/** Decodes and validates a token, or returns why it is malformed. Never throws. */
export function decodeToken(bytes: Uint8Array): Token | string {
  if (bytes.length < TOKEN_HEADER_BYTES) return `token of ${bytes.length} bytes`;
  if (bytes.length > MAX_TOKEN_BYTES) return `token of ${bytes.length} bytes`;
  if (bytes[0] !== WIRE_VERSION) return `wire version ${bytes[0]}`;
  if (bytes[1] !== DatagramKind.TOKEN) return `kind ${bytes[1]} is not TOKEN`;
  const arq = bytes[2]!;
  if (arq > 0x0f) return `arq ${arq}`;
  if (readU16(bytes, 42) !== 0) return 'reserved header bytes not zero';
  const entries = readU16(bytes, 40);
  if (entries > MAX_RTR_ENTRIES) return `${entries} request entries`;
  const rtr: RtrEntry[] = [];
  let pos = TOKEN_HEADER_BYTES;
  for (let i = 0; i < entries; i++) {
    if (pos + RTR_ENTRY_HEADER_BYTES > bytes.length) return `request entry ${i} truncated`;
    const count = readU16(bytes, pos + 14);
    const end = pos + RTR_ENTRY_HEADER_BYTES + 4 * count;
    if (end > bytes.length) return `request entry ${i} claims ${count} seqs beyond the datagram`;
    const targetSegment = readI16(bytes, pos + 12);
    if (targetSegment < -1) return `request entry ${i} target segment ${targetSegment}`;
    const seqs = new Array<number>(count);
    for (let k = 0; k < count; k++) seqs[k] = readU32(bytes, pos + RTR_ENTRY_HEADER_BYTES + 4 * k);
    rtr.push({
      ringId: { procId: readU32(bytes, pos), time: readU32(bytes, pos + 4) },
      targetDaemon: readDaemonId(bytes, pos + 8),
      targetSegment,
      seqs,
    });
    pos = end;
  }
  if (pos !== bytes.length) return `${bytes.length - pos} trailing bytes after the request list`;
  return {
    configHash: readU32(bytes, CONFIG_HASH_OFFSET),
    transmitter: readU32(bytes, TRANSMITTER_OFFSET),
    procId: readU32(bytes, 12),
    ringId: { procId: readU32(bytes, 16), time: readU32(bytes, 20) },
    arq,
    retrans: bytes[3]!,
    seq: readU32(bytes, 24),
    aru: readU32(bytes, 28),
    aruSetter: readDaemonId(bytes, 32),
    flowControl: readI32(bytes, 36),
    rtr,
  };
}
