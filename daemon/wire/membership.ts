// ALIVE, JOIN and REFER codecs (design 5.3). All travel on the data port.
//
// Each starts with the 12-byte envelope (version u8, kind u8, zero u16, config hash u32,
// transmitter u32), then:
//   ALIVE:  count u16 | zero u16 | count member ids u32
//   JOIN:   members u16 | reps u16 | member ids u32... | reps (id u32, type u8, zero u8, segment u16)...
//   REFER:  rep id u32 | rep type u8 | zero u8 | zero u16
import { CONFIG_HASH_OFFSET, DatagramKind, ENVELOPE_BYTES, MAX_PROCS_RING, MAX_REPS, TRANSMITTER_OFFSET, WIRE_VERSION } from './constants.ts';
import { readU16, readU32, writeU16, writeU32 } from './bytes.ts';
import type { AliveMessage, JoinMessage, ReferMessage, RepInfo, RepType } from './types.ts';

const REP_BYTES = 8;

function envelope(buf: Buffer, kind: number, configHash: number, transmitter: number): void {
  buf[0] = WIRE_VERSION;
  buf[1] = kind;
  writeU16(buf, 2, 0);
  writeU32(buf, CONFIG_HASH_OFFSET, configHash);
  writeU32(buf, TRANSMITTER_OFFSET, transmitter);
}

function checkEnvelope(bytes: Uint8Array, kind: number, name: string): string | undefined {
  if (bytes.length < ENVELOPE_BYTES + 4) return `${name} of ${bytes.length} bytes`;
  if (bytes[0] !== WIRE_VERSION) return `wire version ${bytes[0]}`;
  if (bytes[1] !== kind) return `kind ${bytes[1]} is not ${name}`;
  if (readU16(bytes, 2) !== 0) return 'reserved header bytes not zero';
  return undefined;
}

function isRepType(t: number): t is RepType {
  return t === 0 || t === 1 || t === 2;
}

export function writeRep(buf: Uint8Array, pos: number, r: RepInfo): void {
  writeU32(buf, pos, r.id);
  buf[pos + 4] = r.type;
  buf[pos + 5] = 0;
  writeU16(buf, pos + 6, r.segIndex);
}

/** Reads a rep written by writeRep; the caller checked the bounds. */
export function readRep(bytes: Uint8Array, pos: number): RepInfo | string {
  const type = bytes[pos + 4]!;
  if (!isRepType(type)) return `rep type ${type}`;
  if (bytes[pos + 5] !== 0) return 'reserved rep byte not zero';
  return { id: readU32(bytes, pos), type, segIndex: readU16(bytes, pos + 6) };
}

export function encodeAlive(m: AliveMessage): Buffer {
  const buf = Buffer.allocUnsafe(ENVELOPE_BYTES + 4 + 4 * m.members.length);
  envelope(buf, DatagramKind.ALIVE, m.configHash, m.transmitter);
  writeU16(buf, 12, m.members.length);
  writeU16(buf, 14, 0);
  m.members.forEach((id, i) => writeU32(buf, 16 + 4 * i, id));
  return buf;
}

export function decodeAlive(bytes: Uint8Array): AliveMessage | string {
  const bad = checkEnvelope(bytes, DatagramKind.ALIVE, 'ALIVE');
  if (bad !== undefined) return bad;
  const n = readU16(bytes, 12);
  if (n > MAX_PROCS_RING) return `ALIVE lists ${n} members`;
  if (readU16(bytes, 14) !== 0) return 'reserved ALIVE bytes not zero';
  if (bytes.length !== 16 + 4 * n) return `ALIVE of ${bytes.length} bytes for ${n} members`;
  const members: number[] = [];
  for (let i = 0; i < n; i++) members.push(readU32(bytes, 16 + 4 * i));
  return { configHash: readU32(bytes, CONFIG_HASH_OFFSET), transmitter: readU32(bytes, TRANSMITTER_OFFSET), members };
}

export function encodeJoin(m: JoinMessage): Buffer {
  const buf = Buffer.allocUnsafe(ENVELOPE_BYTES + 4 + 4 * m.members.length + REP_BYTES * m.reps.length);
  envelope(buf, DatagramKind.JOIN, m.configHash, m.transmitter);
  writeU16(buf, 12, m.members.length);
  writeU16(buf, 14, m.reps.length);
  let pos = 16;
  for (const id of m.members) {
    writeU32(buf, pos, id);
    pos += 4;
  }
  for (const r of m.reps) {
    writeRep(buf, pos, r);
    pos += REP_BYTES;
  }
  return buf;
}

export function decodeJoin(bytes: Uint8Array): JoinMessage | string {
  const bad = checkEnvelope(bytes, DatagramKind.JOIN, 'JOIN');
  if (bad !== undefined) return bad;
  const nm = readU16(bytes, 12);
  const nr = readU16(bytes, 14);
  if (nm > MAX_PROCS_RING) return `JOIN lists ${nm} members`;
  if (nr < 1 || nr > MAX_REPS) return `JOIN lists ${nr} reps`;
  if (bytes.length !== 16 + 4 * nm + REP_BYTES * nr) return `JOIN of ${bytes.length} bytes for ${nm} members and ${nr} reps`;
  const members: number[] = [];
  let pos = 16;
  for (let i = 0; i < nm; i++, pos += 4) members.push(readU32(bytes, pos));
  const reps: RepInfo[] = [];
  for (let i = 0; i < nr; i++, pos += REP_BYTES) {
    const r = readRep(bytes, pos);
    if (typeof r === 'string') return r;
    reps.push(r);
  }
  return { configHash: readU32(bytes, CONFIG_HASH_OFFSET), transmitter: readU32(bytes, TRANSMITTER_OFFSET), members, reps };
}

export function encodeRefer(m: ReferMessage): Buffer {
  const buf = Buffer.allocUnsafe(ENVELOPE_BYTES + 8);
  envelope(buf, DatagramKind.REFER, m.configHash, m.transmitter);
  writeU32(buf, 12, m.rep);
  buf[16] = m.repType;
  buf[17] = 0;
  writeU16(buf, 18, 0);
  return buf;
}

export function decodeRefer(bytes: Uint8Array): ReferMessage | string {
  const bad = checkEnvelope(bytes, DatagramKind.REFER, 'REFER');
  if (bad !== undefined) return bad;
  if (bytes.length !== ENVELOPE_BYTES + 8) return `REFER of ${bytes.length} bytes`;
  const t = bytes[16]!;
  if (!isRepType(t)) return `rep type ${t}`;
  if (bytes[17] !== 0 || readU16(bytes, 18) !== 0) return 'reserved REFER bytes not zero';
  return { configHash: readU32(bytes, CONFIG_HASH_OFFSET), transmitter: readU32(bytes, TRANSMITTER_OFFSET), rep: readU32(bytes, 12), repType: t };
}
