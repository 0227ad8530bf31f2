// Building data, command and reject messages (spec 4.1 to 4.4 and 5.7).
import { COMMAND_MESS, HEADER_BYTES, LITTLE_ENDIAN_MARKER, REJECT_MESS, MAX_GROUPS_PER_MESSAGE } from './constants.ts';
import { DATA_LEN_OFFSET, NUM_GROUPS_OFFSET, TYPE_OFFSET, encodeHint, writeHeader } from './header.ts';
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
  writeHeader(buf, 0, type, sender, groups.length, encodeHint(messType), dataLen);
  for (let i = 0; i < groups.length; i++) writeName(buf, HEADER_BYTES + 32 * i, groups[i]!);
  return buf;
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
