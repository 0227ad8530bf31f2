// Bodies of membership messages (spec 5.2 to 5.5) and the group id.
import {
  CAUSED_BY_LEAVE,
  HEADER_BYTES,
  REG_MEMB_MESS,
  TRANSITION_MESS,
} from './constants.ts';
import { DAEMON_HINT, writeHeader } from './header.ts';
import { readName, writeName } from './names.ts';

/** A group id: the daemon configuration in which the view was installed, and a change counter. */
export interface GroupId {
  readonly procId: number;
  readonly time: number;
  readonly index: number;
}

export const GROUP_ID_BYTES = 12;

export function equalGroupIds(a: GroupId, b: GroupId): boolean {
  return a.procId === b.procId && a.time === b.time && a.index === b.index;
}

export function groupIdToString(g: GroupId): string {
  return `${g.procId >>> 0} ${g.time >>> 0} ${g.index >>> 0}`;
}

export interface MembershipBody {
  groupId: GroupId;
  /** The vs sets in the order the daemon sent them. */
  vsSets: string[][];
  /** Index in vsSets of the set that contains the receiver (from local_vs_set_offset). */
  myVsSetIndex: number;
}

/** Size of a regular membership body holding these vs sets. */
export function membershipBodyBytes(vsSets: ReadonlyArray<ReadonlyArray<string>>): number {
  let n = 20;
  for (const s of vsSets) n += 4 + 32 * s.length;
  return n;
}

/** Byte offset (from body offset 20) of vs set `index`. */
export function vsSetOffset(vsSets: ReadonlyArray<ReadonlyArray<string>>, index: number): number {
  let off = 0;
  for (let i = 0; i < index; i++) off += 4 + 32 * vsSets[i]!.length;
  return off;
}

function writeGroupId(buf: Buffer, off: number, g: GroupId): void {
  buf.writeUInt32LE(g.procId >>> 0, off);
  buf.writeUInt32LE(g.time >>> 0, off + 4);
  buf.writeUInt32LE(g.index >>> 0, off + 8);
}

/**
 * Builds a regular membership message as the daemon writes it (little-endian): members in the
 * slots, then group id, vs sets and the offset of the receiver's own set.
 */
export function encodeRegularMembership(
  cause: number,
  group: string,
  members: ReadonlyArray<string>,
  groupId: GroupId,
  vsSets: ReadonlyArray<ReadonlyArray<string>>,
  myVsSetIndex: number,
): Buffer {
  const bodyLen = membershipBodyBytes(vsSets);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 32 * members.length + bodyLen);
  writeHeader(buf, 0, REG_MEMB_MESS | cause, group, members.length, DAEMON_HINT, bodyLen);
  let off = HEADER_BYTES;
  for (const m of members) {
    writeName(buf, off, m);
    off += 32;
  }
  writeGroupId(buf, off, groupId);
  buf.writeUInt32LE(vsSets.length, off + 12);
  buf.writeUInt32LE(vsSetOffset(vsSets, myVsSetIndex), off + 16);
  off += 20;
  for (const s of vsSets) {
    buf.writeUInt32LE(s.length, off);
    off += 4;
    for (const m of s) {
      writeName(buf, off, m);
      off += 32;
    }
  }
  return buf;
}

/** The transitional signal: 12-byte body holding the id of the view being left (spec 5.4). */
export function encodeTransitionMessage(group: string, groupId: GroupId): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + 12);
  writeHeader(buf, 0, TRANSITION_MESS, group, 0, DAEMON_HINT, 12);
  writeGroupId(buf, HEADER_BYTES, groupId);
  return buf;
}

/** The self-leave notice: 48 bytes, CAUSED_BY_LEAVE alone (spec 5.5). */
export function encodeSelfLeaveMessage(group: string): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES);
  writeHeader(buf, 0, CAUSED_BY_LEAVE, group, 0, DAEMON_HINT, 0);
  return buf;
}

function readU32(buf: Buffer, off: number, le: boolean): number {
  return le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
}

/** Reads a group id written in the daemon's order. */
export function readGroupId(buf: Buffer, off: number, littleEndian: boolean): GroupId {
  return {
    procId: readU32(buf, off, littleEndian),
    time: readU32(buf, off + 4, littleEndian),
    index: readU32(buf, off + 8, littleEndian),
  };
}

/**
 * Parses a regular membership body (integers in the daemon's order). Returns undefined when the
 * counts do not fit in `len` bytes: a client must never trust a peer's counts.
 */
export function readMembershipBody(
  buf: Buffer,
  offset: number,
  len: number,
  littleEndian: boolean,
): MembershipBody | undefined {
  if (len < 20 || offset + len > buf.length) return undefined;
  const groupId = readGroupId(buf, offset, littleEndian);
  const count = readU32(buf, offset + 12, littleEndian);
  const localOffset = readU32(buf, offset + 16, littleEndian);
  const end = offset + len;
  const vsSets: string[][] = [];
  let myVsSetIndex = -1;
  let p = offset + 20;
  for (let i = 0; i < count; i++) {
    if (p + 4 > end) return undefined;
    if (p - (offset + 20) === localOffset) myVsSetIndex = i;
    const k = readU32(buf, p, littleEndian);
    p += 4;
    if (k > (end - p) / 32) return undefined;
    const names: string[] = [];
    for (let j = 0; j < k; j++) {
      names.push(readName(buf, p));
      p += 32;
    }
    vsSets.push(names);
  }
  return { groupId, vsSets, myVsSetIndex };
}
