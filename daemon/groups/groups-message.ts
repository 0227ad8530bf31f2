// GROUPS messages: the group state one synced set's representative sends through the ring after
// a merge (design 7.6). Only our own daemons read them, so the body is JSON behind a client-style
// header whose type is GROUPS_MESS and whose sender field names the representative daemon.
import { GROUPS_MESS, HEADER_BYTES, LITTLE_ENDIAN_MARKER, readName, writeHeader, type GroupId } from '../../client/wire/index.ts';
import type { RingId } from './group-table.ts';

export interface GroupsEntry {
  readonly daemon: string;
  readonly members: ReadonlyArray<string>;
}

export interface GroupsGroup {
  readonly name: string;
  readonly groupId: GroupId;
  readonly changed: boolean;
  readonly entries: ReadonlyArray<GroupsEntry>;
}

export interface GroupsMessage {
  /** The regular configuration the exchange belongs to. */
  readonly ringId: RingId;
  readonly representative: string;
  /** Present in the last (Agreed) message of a set only: the daemons whose state it carries. */
  readonly syncedSet?: ReadonlyArray<string>;
  readonly groups: ReadonlyArray<GroupsGroup>;
}

/** Largest body of one GROUPS message; one daemon's members of a group always fit (design 7.1). */
export const GROUPS_BUF_SIZE = 100_000;

export function encodeGroupsMessage(m: GroupsMessage): Buffer {
  const body = Buffer.from(JSON.stringify(m), 'utf8');
  const buf = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  writeHeader(buf, 0, GROUPS_MESS, m.representative, 0, LITTLE_ENDIAN_MARKER, body.length);
  body.copy(buf, HEADER_BYTES);
  return buf;
}

function isRingId(x: unknown): x is RingId {
  const r = x as RingId;
  return typeof r === 'object' && r !== null && Number.isInteger(r.procId) && Number.isInteger(r.time);
}

/** Decodes a GROUPS payload; undefined for anything malformed (never throws). */
export function decodeGroupsMessage(payload: Buffer): GroupsMessage | undefined {
  if (payload.length < HEADER_BYTES) return undefined;
  const dataLen = payload.readInt32LE(44);
  if (dataLen < 0 || HEADER_BYTES + dataLen > payload.length) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(payload.toString('utf8', HEADER_BYTES, HEADER_BYTES + dataLen));
  } catch {
    return undefined;
  }
  const g = m as GroupsMessage;
  if (typeof g !== 'object' || g === null || !isRingId(g.ringId) || !Array.isArray(g.groups)) return undefined;
  if (g.representative !== readName(payload, 4)) return undefined;
  for (const grp of g.groups) {
    if (typeof grp.name !== 'string' || !isRingId(grp.groupId) || !Number.isInteger(grp.groupId.index)) return undefined;
    if (!Array.isArray(grp.entries)) return undefined;
    for (const e of grp.entries) if (typeof e.daemon !== 'string' || !Array.isArray(e.members)) return undefined;
  }
  if (g.syncedSet !== undefined && !Array.isArray(g.syncedSet)) return undefined;
  return g;
}
