// Data packet codec (design 3.1, 3.7).
//
// Header, 40 bytes, network byte order:
//   0 version u8 | 1 kind u8 = DATA | 2 service u8 | 3 flags u8 (bit 0 ROUTED)
//   4 config hash u32 | 8 transmitter u32 | 12 originator u32
//  16 ring id proc u32 | 20 ring id time u32 | 24 seq u32 | 28 token round u32
//  32 first fragment index i16 | 34 first fragment length u16 | 36 body length u16 | 38 zero u16
// Body: the first fragment, then for each further whole message: zero padding to a 4-byte
// boundary of the body, a fragment header (service u8, zero u8, length u16), the message bytes.
import {
  CONFIG_HASH_OFFSET,
  DATA_HEADER_BYTES,
  DatagramKind,
  FRAGMENT_HEADER_BYTES,
  MAX_FRAGMENTS,
  MAX_PACKET_BODY_BYTES,
  PACKET_BODY_BYTES,
  TRANSMITTER_OFFSET,
  WIRE_VERSION,
} from './constants.ts';
import { readI16, readU16, readU32, view, writeU16, writeU32 } from './bytes.ts';
import type { DataPacket, RingId, RingService } from './types.ts';

const SERVICE_CODE: Readonly<Record<RingService, number>> = { RELIABLE: 1, FIFO: 2, AGREED: 3, SAFE: 4 };
const SERVICE_BY_CODE: ReadonlyArray<RingService | undefined> = [undefined, 'RELIABLE', 'FIFO', 'AGREED', 'SAFE'];

const FLAG_ROUTED = 1;
export const TOKEN_ROUND_OFFSET = 28;

export function serviceCode(s: RingService): number {
  return SERVICE_CODE[s];
}

export function serviceFromCode(code: number): RingService | undefined {
  return SERVICE_BY_CODE[code];
}

/** Packing rule (3.7): a message joins a packet of the same service, or FIFO joins AGREED and back. */
export function packableTogether(a: RingService, b: RingService): boolean {
  if (a === b) return true;
  return (a === 'FIFO' || a === 'AGREED') && (b === 'FIFO' || b === 'AGREED');
}

/** Start of the next packed fragment header after a fragment that ended at `end` (body offset). */
export function alignFragment(end: number): number {
  return (end + 3) & ~3;
}

/** Service of the packed fragment whose header starts at `pos` of a validated body. */
export function packedService(body: Uint8Array, pos: number): RingService {
  return SERVICE_BY_CODE[body[pos]!]!;
}

/** Length of the packed fragment whose header starts at `pos` of a validated body. */
export function packedLength(body: Uint8Array, pos: number): number {
  return readU16(body, pos + 2);
}

/** Bytes a packed (non-first) message of `length` adds to a body currently `bodyLength` long. */
export function packedCost(bodyLength: number, length: number): number {
  return alignFragment(bodyLength) - bodyLength + FRAGMENT_HEADER_BYTES + length;
}

export interface DataHeaderFields {
  service: RingService;
  routed?: boolean;
  configHash: number;
  transmitter: number;
  originator: number;
  ringId: RingId;
  seq: number;
  tokenRound: number;
  firstFragmentIndex: number;
}

export interface PackedMessage {
  readonly service: RingService;
  readonly payload: Uint8Array;
}

/**
 * Builds one data packet: the first fragment and the whole messages packed behind it. The caller
 * has checked that everything fits in its packet body size (see packedCost).
 */
export function encodeDataPacket(
  h: DataHeaderFields,
  first: Uint8Array,
  packed: ReadonlyArray<PackedMessage> = [],
): Buffer {
  let bodyLength = first.length;
  for (const m of packed) bodyLength += packedCost(bodyLength, m.payload.length);
  if (bodyLength > MAX_PACKET_BODY_BYTES) throw new RangeError(`packet body of ${bodyLength} bytes`);
  // From Node's shared pool: much cheaper than a zeroed buffer of its own; padding is zeroed below.
  const buf = Buffer.allocUnsafe(DATA_HEADER_BYTES + bodyLength);
  buf[0] = WIRE_VERSION;
  buf[1] = DatagramKind.DATA;
  buf[2] = SERVICE_CODE[h.service];
  buf[3] = h.routed === true ? FLAG_ROUTED : 0;
  writeU32(buf, CONFIG_HASH_OFFSET, h.configHash);
  writeU32(buf, TRANSMITTER_OFFSET, h.transmitter);
  writeU32(buf, 12, h.originator);
  writeU32(buf, 16, h.ringId.procId);
  writeU32(buf, 20, h.ringId.time);
  writeU32(buf, 24, h.seq);
  writeU32(buf, TOKEN_ROUND_OFFSET, h.tokenRound);
  writeU16(buf, 32, h.firstFragmentIndex & 0xffff);
  writeU16(buf, 34, first.length);
  writeU16(buf, 36, bodyLength);
  writeU16(buf, 38, 0);
  buf.set(first, DATA_HEADER_BYTES);
  let pos = first.length;
  for (const m of packed) {
    const aligned = alignFragment(pos);
    for (; pos < aligned; pos++) buf[DATA_HEADER_BYTES + pos] = 0;
    const at = DATA_HEADER_BYTES + pos;
    buf[at] = SERVICE_CODE[m.service];
    buf[at + 1] = 0;
    writeU16(buf, at + 2, m.payload.length);
    buf.set(m.payload, at + FRAGMENT_HEADER_BYTES);
    pos += FRAGMENT_HEADER_BYTES + m.payload.length;
  }
  return buf;
}

/**
 * A data packet's weight in flow control: Window and PersonalWindow count packets of Spread's
 * size (1472 bytes), so a bigger datagram weighs as many of them as its body fills, and the
 * bytes in flight stay what the guide's settings mean whatever PacketSize is.
 */
export function packetUnits(datagramLength: number): number {
  return Math.max(1, Math.ceil((datagramLength - DATA_HEADER_BYTES) / PACKET_BODY_BYTES));
}

/** Decodes and validates a data packet, or returns why it is malformed. Never throws. */
export function decodeDataPacket(bytes: Uint8Array): DataPacket | string {
  if (bytes.length < DATA_HEADER_BYTES) return `data packet of ${bytes.length} bytes`;
  if (bytes[0] !== WIRE_VERSION) return `wire version ${bytes[0]}`;
  if (bytes[1] !== DatagramKind.DATA) return `kind ${bytes[1]} is not DATA`;
  const service = SERVICE_BY_CODE[bytes[2]!];
  if (service === undefined) return `service code ${bytes[2]}`;
  const flags = bytes[3]!;
  if ((flags & ~FLAG_ROUTED) !== 0) return `flags 0x${flags.toString(16)}`;
  const bodyLength = readU16(bytes, 36);
  if (bodyLength !== bytes.length - DATA_HEADER_BYTES) {
    return `body length ${bodyLength} but ${bytes.length - DATA_HEADER_BYTES} bytes follow the header`;
  }
  if (bodyLength > MAX_PACKET_BODY_BYTES) return `body of ${bodyLength} bytes`;
  if (readU16(bytes, 38) !== 0) return 'reserved header bytes not zero';
  const index = readI16(bytes, 32);
  if (index === 0 || index > MAX_FRAGMENTS - 1 || index < -MAX_FRAGMENTS) return `fragment index ${index}`;
  const firstLength = readU16(bytes, 34);
  if (firstLength < 1 || firstLength > bodyLength) return `first fragment of ${firstLength} bytes`;
  const body = view(bytes, DATA_HEADER_BYTES);
  const reason = checkPackedFragments(body, firstLength, service, index);
  if (reason !== undefined) return reason;
  return {
    service,
    routed: (flags & FLAG_ROUTED) !== 0,
    configHash: readU32(bytes, CONFIG_HASH_OFFSET),
    transmitter: readU32(bytes, TRANSMITTER_OFFSET),
    originator: readU32(bytes, 12),
    ringId: { procId: readU32(bytes, 16), time: readU32(bytes, 20) },
    seq: readU32(bytes, 24),
    tokenRound: readU32(bytes, TOKEN_ROUND_OFFSET),
    firstFragmentIndex: index,
    firstFragmentLength: firstLength,
    body,
    datagram: bytes,
  };
}

/** Walks the packed fragments after the first one; undefined when the layout is sound. */
function checkPackedFragments(
  body: Uint8Array,
  firstLength: number,
  service: RingService,
  firstIndex: number,
): string | undefined {
  let pos = firstLength;
  if (pos < body.length && firstIndex > 0) return 'messages packed behind an inner fragment';
  while (pos < body.length) {
    pos = alignFragment(pos);
    if (pos + FRAGMENT_HEADER_BYTES > body.length) return `truncated fragment header at ${pos}`;
    const s = SERVICE_BY_CODE[body[pos]!];
    if (s === undefined) return `packed service code ${body[pos]} at ${pos}`;
    if (!packableTogether(service, s)) return `${s} message packed in a ${service} packet`;
    if (body[pos + 1] !== 0) return `reserved fragment byte at ${pos + 1}`;
    const length = readU16(body, pos + 2);
    if (length < 1) return `empty packed fragment at ${pos}`;
    pos += FRAGMENT_HEADER_BYTES + length;
    if (pos > body.length) return `packed fragment overruns the body (${pos} > ${body.length})`;
  }
  return undefined;
}
