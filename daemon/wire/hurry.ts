// HURRY packet codec (design 3.10): a daemon with new messages asks the leader to release a held token.
//   0 version u8 | 1 kind u8 = HURRY | 2..3 zero | 4 config hash u32 | 8 transmitter u32
//  12 ring id proc u32 | 16 ring id time u32
import { CONFIG_HASH_OFFSET, DatagramKind, HURRY_BYTES, TRANSMITTER_OFFSET, WIRE_VERSION } from './constants.ts';
import { readU16, readU32, writeU16, writeU32 } from './bytes.ts';
import type { HurryPacket } from './types.ts';

export function encodeHurry(h: HurryPacket): Buffer {
  const buf = Buffer.allocUnsafe(HURRY_BYTES);
  buf[0] = WIRE_VERSION;
  buf[1] = DatagramKind.HURRY;
  writeU16(buf, 2, 0);
  writeU32(buf, CONFIG_HASH_OFFSET, h.configHash);
  writeU32(buf, TRANSMITTER_OFFSET, h.transmitter);
  writeU32(buf, 12, h.ringId.procId);
  writeU32(buf, 16, h.ringId.time);
  return buf;
}

/** Decodes a HURRY packet, or returns why it is malformed. Never throws. */
export function decodeHurry(bytes: Uint8Array): HurryPacket | string {
  if (bytes.length !== HURRY_BYTES) return `hurry packet of ${bytes.length} bytes`;
  if (bytes[0] !== WIRE_VERSION) return `wire version ${bytes[0]}`;
  if (bytes[1] !== DatagramKind.HURRY) return `kind ${bytes[1]} is not HURRY`;
  if (readU16(bytes, 2) !== 0) return 'reserved header bytes not zero';
  return {
    configHash: readU32(bytes, CONFIG_HASH_OFFSET),
    transmitter: readU32(bytes, TRANSMITTER_OFFSET),
    ringId: { procId: readU32(bytes, 12), time: readU32(bytes, 16) },
  };
}
