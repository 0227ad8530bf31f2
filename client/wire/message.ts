// Building data, command and reject messages (spec 4.1 to 4.4 and 5.7).
import { COMMAND_MESS, HEADER_BYTES, LITTLE_ENDIAN_MARKER, REJECT_MESS, MAX_GROUPS_PER_MESSAGE } from './constants.ts';
import { DATA_LEN_OFFSET, NUM_GROUPS_OFFSET, TYPE_OFFSET, encodeHint, writeHeader, type MessageHeader } from './header.ts';
import { writeName } from './names.ts';

/**
 * Header and destination slots of a message (48 + 32*groups bytes); the body follows separately,
 * so a large body is never copied just to prepend a header.
 */
export function encodeMessageHead(
  type: number,
  sender: string,
  groups: ReadonlyArray<string>,
  messType: number,
  dataLen: number,
): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 32 * groups.length);
  writeMessageHead(buf, 0, type, sender, groups, messType, dataLen);
  return buf;
}

/**
 * Writes header and destination slots at `offset` of a caller's buffer (48 + 32*groups bytes), so
 * a sender can pack many small messages into one buffer without an allocation per message.
 */
export function writeMessageHead(
  buf: Buffer,
  offset: number,
  type: number,
  sender: string,
  groups: ReadonlyArray<string>,
  messType: number,
  dataLen: number,
): void {
  writeHeader(buf, offset, type, sender, groups.length, encodeHint(messType), dataLen);
  for (let i = 0; i < groups.length; i++) writeName(buf, offset + HEADER_BYTES + 32 * i, groups[i]!);
}

/**
 * The `old_type` of a received reject (spec 5.7): the 4 bytes after the header, in the daemon's
 * order like `type`, returned in host terms with the marker cleared.
 */
export function readRejectOldType(frame: Buffer, h: MessageHeader): number {
  const raw = h.littleEndian ? frame.readUInt32LE(HEADER_BYTES) : frame.readUInt32BE(HEADER_BYTES);
  return (raw & ~LITTLE_ENDIAN_MARKER) >>> 0;
}

/** JOIN, LEAVE or KILL: one slot naming the group (or, for KILL, the sender itself). */
export function encodeCommand(command: number, sender: string, group: string): Buffer {
  if ((command & COMMAND_MESS) === 0) throw new RangeError(`not a command: 0x${command.toString(16)}`);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 32);
  writeHeader(buf, 0, command, sender, 1, LITTLE_ENDIAN_MARKER, 0);
  writeName(buf, HEADER_BYTES, group);
  return buf;
}

/**
 * Turns a refused message (a normalized frame: little-endian header) into the reject returned to
 * its sender (spec 5.7): REJECT_MESS type, old_type after the header, the sender appended as a
 * last destination, body and hint unchanged.
 */
export function encodeRejectMessage(frame: Buffer, oldType: number, sender: string, selfDiscard: number): Buffer {
  const numGroups = frame.readInt32LE(NUM_GROUPS_OFFSET);
  const dataLen = frame.readInt32LE(DATA_LEN_OFFSET);
  const keptGroups = Math.min(numGroups, MAX_GROUPS_PER_MESSAGE - 1);
  const outGroups = keptGroups + 1;
  const out = Buffer.allocUnsafe(HEADER_BYTES + 4 + 32 * outGroups + dataLen);
  frame.copy(out, 0, 0, HEADER_BYTES);
  out.writeUInt32LE((REJECT_MESS | selfDiscard | LITTLE_ENDIAN_MARKER) >>> 0, TYPE_OFFSET);
  out.writeInt32LE(outGroups, NUM_GROUPS_OFFSET);
  out.writeUInt32LE((oldType | LITTLE_ENDIAN_MARKER) >>> 0, HEADER_BYTES);
  frame.copy(out, HEADER_BYTES + 4, HEADER_BYTES, HEADER_BYTES + 32 * keptGroups);
  writeName(out, HEADER_BYTES + 4 + 32 * keptGroups, sender);
  frame.copy(out, HEADER_BYTES + 4 + 32 * outGroups, HEADER_BYTES + 32 * numGroups, HEADER_BYTES + 32 * numGroups + dataLen);
  return out;
}
