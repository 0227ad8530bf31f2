// FORM1 / FORM2 token codec (design 5.6). Both travel on the token port.
//
// Header, 48 bytes, network byte order:
//   0 version u8 | 1 kind u8 = FORM1 or FORM2 | 2 zero u16
//   4 config hash u32 | 8 transmitter u32 | 12 proc id u32 (last processor)
//  16 form id proc u32 | 20 form id time u32 | 24 seq floor u32
//  28 confirmed u16 | 30 pending u16 | 32 reps u16 (FORM2: 0) | 34 rep cursor u16 (FORM2: 0)
//  36 new ring id proc u32 | 40 new ring id time u32 (FORM1: 0, 0) | 44 ring infos u16 | 46 zero u16
// Then member ids u32 (confirmed first), then FORM1's reps (id u32, type u8, zero u8, segment
// u16), then each ring info:
//   ring id proc u32, time u32 | trans time u32 | aru u32 | highest seq u32
//   hole ranges u16 | trans u16 | commit u16 | zero u16 | ranges (from u32, to u32)... | commit ids u32...
// Holes travel as inclusive ranges: a partition leaves long runs of them.
import {
  CONFIG_HASH_OFFSET,
  DatagramKind,
  MAX_FORM_REPS,
  MAX_FORM_TOKEN_BYTES,
  MAX_PROCS_RING,
  MAX_REPS,
  TRANSMITTER_OFFSET,
  WIRE_VERSION,
} from './constants.ts';
import { readU16, readU32, writeU16, writeU32 } from './bytes.ts';
import { readRep, writeRep } from './membership.ts';
import type { FormToken, RepInfo, RingInfo } from './types.ts';

export const FORM_HEADER_BYTES = 48;
const RING_INFO_HEADER_BYTES = 28;
const REP_BYTES = 8;

/** Holes as inclusive [from, to] ranges; `holes` ascending. */
export function holeRanges(holes: ReadonlyArray<number>): Array<[number, number]> {
  const r: Array<[number, number]> = [];
  for (const h of holes) {
    const last = r[r.length - 1];
    if (last !== undefined && h === last[1] + 1) last[1] = h;
    else r.push([h, h]);
  }
  return r;
}

export function encodeFormToken(t: FormToken): Buffer {
  const ranges = t.rings.map((ri) => holeRanges(ri.holes));
  let n = FORM_HEADER_BYTES + 4 * t.members.length + (t.kind === 'FORM1' ? REP_BYTES * t.reps.length : 0);
  t.rings.forEach((ri, i) => (n += RING_INFO_HEADER_BYTES + 8 * ranges[i]!.length + 4 * ri.commit.length));
  if (n > MAX_FORM_TOKEN_BYTES) throw new RangeError(`form token of ${n} bytes`);
  const buf = Buffer.alloc(n);
  buf[0] = WIRE_VERSION;
  buf[1] = t.kind === 'FORM1' ? DatagramKind.FORM1 : DatagramKind.FORM2;
  writeU32(buf, CONFIG_HASH_OFFSET, t.configHash);
  writeU32(buf, TRANSMITTER_OFFSET, t.transmitter);
  writeU32(buf, 12, t.procId);
  writeU32(buf, 16, t.formId.procId);
  writeU32(buf, 20, t.formId.time);
  writeU32(buf, 24, t.seqFloor);
  writeU16(buf, 28, t.confirmed);
  writeU16(buf, 30, t.members.length - t.confirmed);
  if (t.kind === 'FORM1') {
    writeU16(buf, 32, t.reps.length);
    writeU16(buf, 34, t.repCursor);
  } else {
    writeU32(buf, 36, t.newRingId.procId);
    writeU32(buf, 40, t.newRingId.time);
  }
  writeU16(buf, 44, t.rings.length);
  let pos = FORM_HEADER_BYTES;
  for (const id of t.members) {
    writeU32(buf, pos, id);
    pos += 4;
  }
  if (t.kind === 'FORM1') {
    for (const r of t.reps) {
      writeRep(buf, pos, r);
      pos += REP_BYTES;
    }
  }
  t.rings.forEach((ri, i) => {
    const rs = ranges[i]!;
    writeU32(buf, pos, ri.ringId.procId);
    writeU32(buf, pos + 4, ri.ringId.time);
    writeU32(buf, pos + 8, ri.transTime);
    writeU32(buf, pos + 12, ri.aru);
    writeU32(buf, pos + 16, ri.highestSeq);
    writeU16(buf, pos + 20, rs.length);
    writeU16(buf, pos + 22, ri.trans);
    writeU16(buf, pos + 24, ri.commit.length);
    pos += RING_INFO_HEADER_BYTES;
    for (const [from, to] of rs) {
      writeU32(buf, pos, from);
      writeU32(buf, pos + 4, to);
      pos += 8;
    }
    for (const id of ri.commit) {
      writeU32(buf, pos, id);
      pos += 4;
    }
  });
  return buf;
}

/** Decodes and validates a form token, or returns why it is malformed. Never throws. */
export function decodeFormToken(bytes: Uint8Array): FormToken | string {
  if (bytes.length < FORM_HEADER_BYTES || bytes.length > MAX_FORM_TOKEN_BYTES) return `form token of ${bytes.length} bytes`;
  if (bytes[0] !== WIRE_VERSION) return `wire version ${bytes[0]}`;
  const kind = bytes[1] === DatagramKind.FORM1 ? 'FORM1' : bytes[1] === DatagramKind.FORM2 ? 'FORM2' : undefined;
  if (kind === undefined) return `kind ${bytes[1]} is not a form token`;
  if (readU16(bytes, 2) !== 0 || readU16(bytes, 46) !== 0) return 'reserved header bytes not zero';
  const confirmed = readU16(bytes, 28);
  const pending = readU16(bytes, 30);
  const nMembers = confirmed + pending;
  if (nMembers > MAX_PROCS_RING) return `${nMembers} members`;
  const nReps = readU16(bytes, 32);
  const repCursor = readU16(bytes, 34);
  if (kind === 'FORM1' && (nReps < 1 || nReps > MAX_REPS || repCursor > nReps)) return `reps ${nReps}, cursor ${repCursor}`;
  if (kind === 'FORM2' && (nReps !== 0 || repCursor !== 0)) return 'FORM2 with reps';
  if (kind === 'FORM1' && (readU32(bytes, 36) !== 0 || readU32(bytes, 40) !== 0)) return 'FORM1 with a ring id';
  const nRings = readU16(bytes, 44);
  if (nRings > MAX_FORM_REPS + 1) return `${nRings} ring infos`;
  let pos = FORM_HEADER_BYTES;
  const fixed = pos + 4 * nMembers + (kind === 'FORM1' ? REP_BYTES * nReps : 0);
  if (fixed > bytes.length) return 'member or rep list beyond the datagram';
  const members: number[] = [];
  for (let i = 0; i < nMembers; i++, pos += 4) members.push(readU32(bytes, pos));
  const reps: RepInfo[] = [];
  if (kind === 'FORM1') {
    for (let i = 0; i < nReps; i++, pos += REP_BYTES) {
      const r = readRep(bytes, pos);
      if (typeof r === 'string') return r;
      reps.push(r);
    }
  }
  const rings: RingInfo[] = [];
  for (let k = 0; k < nRings; k++) {
    if (pos + RING_INFO_HEADER_BYTES > bytes.length) return `ring info ${k} truncated`;
    const nRanges = readU16(bytes, pos + 20);
    const trans = readU16(bytes, pos + 22);
    const nCommit = readU16(bytes, pos + 24);
    if (readU16(bytes, pos + 26) !== 0) return `ring info ${k}: reserved bytes not zero`;
    if (trans < 1 || trans > nCommit || nCommit > MAX_PROCS_RING) return `ring info ${k}: trans ${trans}, commit ${nCommit}`;
    const end = pos + RING_INFO_HEADER_BYTES + 8 * nRanges + 4 * nCommit;
    if (end > bytes.length) return `ring info ${k} beyond the datagram`;
    const ri: RingInfo = {
      ringId: { procId: readU32(bytes, pos), time: readU32(bytes, pos + 4) },
      transTime: readU32(bytes, pos + 8),
      aru: readU32(bytes, pos + 12),
      highestSeq: readU32(bytes, pos + 16),
      holes: [],
      trans,
      commit: [],
    };
    pos += RING_INFO_HEADER_BYTES;
    let previous = -1;
    for (let i = 0; i < nRanges; i++, pos += 8) {
      const from = readU32(bytes, pos);
      const to = readU32(bytes, pos + 4);
      // Ascending, separated (ranges are maximal, so the encoding is canonical), at most the highest seq.
      if (from < 1 || from <= previous + 1 || to < from || to > ri.highestSeq) return `ring info ${k}: hole range ${from}..${to}`;
      for (let h = from; h <= to; h++) ri.holes.push(h);
      previous = to;
    }
    for (let i = 0; i < nCommit; i++, pos += 4) ri.commit.push(readU32(bytes, pos));
    rings.push(ri);
  }
  if (pos !== bytes.length) return `${bytes.length - pos} trailing bytes after the ring infos`;
  return {
    kind,
    configHash: readU32(bytes, CONFIG_HASH_OFFSET),
    transmitter: readU32(bytes, TRANSMITTER_OFFSET),
    procId: readU32(bytes, 12),
    formId: { procId: readU32(bytes, 16), time: readU32(bytes, 20) },
    seqFloor: readU32(bytes, 24),
    members,
    confirmed,
    reps,
    repCursor,
    newRingId: { procId: readU32(bytes, 36), time: readU32(bytes, 40) },
    rings,
  };
}
