// The group layer core (design section 7): one table of groups, members and group ids, identical
// on every daemon because it changes only through ordered deliveries (join, leave, kill).
// Pure: no I/O, no clock. Local members carry an opaque handle L (the session layer's session
// object) so that delivering a message needs no lookup by name.
import {
  CAUSED_BY_DISCONNECT,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  encodeRegularMembership,
  encodeSelfLeaveMessage,
  parsePrivateGroupName,
  type GroupId,
} from '../../client/wire/index.ts';

export interface RingId {
  readonly procId: number;
  readonly time: number;
}

/** A membership message for one local member. */
export interface GroupNotice<L> {
  readonly to: L;
  readonly bytes: Buffer;
}

/** A view change, reported for the trace and the checkers (design 10.4). */
export interface ViewRecord {
  readonly group: string;
  readonly groupId: GroupId;
  readonly members: ReadonlyArray<string>;
  readonly vsSets: ReadonlyArray<ReadonlyArray<string>>;
  readonly cause: number;
}

interface DaemonEntry<L> {
  readonly daemonName: string;
  readonly order: number;
  /** Private group names, kept sorted byte-wise. */
  readonly members: string[];
  /** Handles of members on this daemon, by private group name. */
  readonly local: Map<string, L>;
}

interface Group<L> {
  readonly name: string;
  groupId: GroupId;
  /** Sorted by configuration order of the daemon. */
  readonly daemons: DaemonEntry<L>[];
  /** All local handles of the group, for fast delivery. */
  readonly localHandles: L[];
}

export interface GroupTableOptions {
  /** Name of this daemon: members whose private group ends in it are local. */
  readonly selfDaemon: string;
  /** Position of a daemon in configuration order (unknown names sort last). */
  readonly daemonOrder: (daemonName: string) => number;
  /** Whether a local handle asked for membership messages at connect time. */
  readonly wantsMembership: (handle: unknown) => boolean;
}

/** Byte-wise comparison (strcmp on latin1 names). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function insertSorted(list: string[], name: string): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = compareNames(list[mid]!, name);
    if (c === 0) return false;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, name);
  return true;
}

export class GroupTable<L> {
  private readonly groups = new Map<string, Group<L>>();
  /** Groups each member is in, for disconnects (member -> group names). */
  private readonly memberGroups = new Map<string, Set<string>>();
  private ringId: RingId;
  /** Views installed, for tests and the trace; the session layer drains it. */
  readonly views: ViewRecord[] = [];
  recordViews = false;

  constructor(
    private readonly opts: GroupTableOptions,
    ringId: RingId,
  ) {
    this.ringId = ringId;
  }

  /** The regular configuration's id, used for the group ids of groups created from now on. */
  setRingId(ringId: RingId): void {
    this.ringId = ringId;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** Members of a group in the order clients see them, or undefined if it does not exist. */
  members(group: string): string[] | undefined {
    const g = this.groups.get(group);
    return g === undefined ? undefined : this.memberList(g);
  }

  groupId(group: string): GroupId | undefined {
    return this.groups.get(group)?.groupId;
  }

  groupNames(): string[] {
    return [...this.groups.keys()].sort(compareNames);
  }

  /** Local handles of the members of `group` (the live array: do not keep it). */
  localMembers(group: string): ReadonlyArray<L> {
    return this.groups.get(group)?.localHandles ?? EMPTY;
  }

  /** A join delivered in order. `handle` is given when the joiner is a local session. */
  join(member: string, group: string, handle: L | undefined): GroupNotice<L>[] {
    const parsed = parsePrivateGroupName(member);
    if (parsed === undefined) return [];
    let g = this.groups.get(group);
    if (g === undefined) {
      g = { name: group, groupId: { ...this.ringId, index: 0 }, daemons: [], localHandles: [] };
      this.groups.set(group, g);
    }
    const entry = this.daemonEntry(g, parsed.daemonName);
    if (!insertSorted(entry.members, member)) return [];
    if (handle !== undefined) {
      entry.local.set(member, handle);
      g.localHandles.push(handle);
    }
    let mine = this.memberGroups.get(member);
    if (mine === undefined) this.memberGroups.set(member, (mine = new Set()));
    mine.add(group);
    g.groupId = { ...g.groupId, index: g.groupId.index + 1 };
    return this.notifyLightweight(g, CAUSED_BY_JOIN, member);
  }

  /** A leave delivered in order: self-leave to the leaver if local, then the view to the rest. */
  leave(member: string, group: string): GroupNotice<L>[] {
    const g = this.groups.get(group);
    if (g === undefined) return [];
    const out: GroupNotice<L>[] = [];
    const handle = this.removeMember(g, member);
    if (handle === null) return [];
    if (handle !== undefined && this.opts.wantsMembership(handle))
      out.push({ to: handle, bytes: encodeSelfLeaveMessage(group) });
    this.afterRemoval(g, CAUSED_BY_LEAVE, member, out);
    return out;
  }

  /** A disconnect delivered in order: the member leaves every group, in group-name order. */
  kill(member: string): GroupNotice<L>[] {
    const mine = this.memberGroups.get(member);
    if (mine === undefined) return [];
    const out: GroupNotice<L>[] = [];
    for (const group of [...mine].sort(compareNames)) {
      const g = this.groups.get(group);
      if (g === undefined) continue;
      if (this.removeMember(g, member) === null) continue;
      this.afterRemoval(g, CAUSED_BY_DISCONNECT, member, out);
    }
    this.memberGroups.delete(member);
    return out;
  }

  private daemonEntry(g: Group<L>, daemonName: string): DaemonEntry<L> {
    const order = this.opts.daemonOrder(daemonName);
    let i = 0;
    for (; i < g.daemons.length; i++) {
      const d = g.daemons[i]!;
      if (d.daemonName === daemonName) return d;
      if (d.order > order || (d.order === order && compareNames(d.daemonName, daemonName) > 0)) break;
    }
    const entry: DaemonEntry<L> = { daemonName, order, members: [], local: new Map() };
    g.daemons.splice(i, 0, entry);
    return entry;
  }

  /** Removes a member; returns its local handle, undefined if remote, null if it was not a member. */
  private removeMember(g: Group<L>, member: string): L | undefined | null {
    const parsed = parsePrivateGroupName(member);
    if (parsed === undefined) return null;
    const di = g.daemons.findIndex((d) => d.daemonName === parsed.daemonName);
    if (di < 0) return null;
    const entry = g.daemons[di]!;
    const mi = entry.members.indexOf(member);
    if (mi < 0) return null;
    entry.members.splice(mi, 1);
    const handle = entry.local.get(member);
    if (handle !== undefined) {
      entry.local.delete(member);
      const hi = g.localHandles.indexOf(handle);
      if (hi >= 0) g.localHandles.splice(hi, 1);
    }
    if (entry.members.length === 0) g.daemons.splice(di, 1);
    const mine = this.memberGroups.get(member);
    if (mine !== undefined) {
      mine.delete(g.name);
      if (mine.size === 0) this.memberGroups.delete(member);
    }
    return handle;
  }

  private afterRemoval(g: Group<L>, cause: number, member: string, out: GroupNotice<L>[]): void {
    g.groupId = { ...g.groupId, index: g.groupId.index + 1 };
    if (g.daemons.length === 0) {
      // An empty group is deleted; a later join recreates it with a new group id.
      this.groups.delete(g.name);
      return;
    }
    for (const n of this.notifyLightweight(g, cause, member)) out.push(n);
  }

  private memberList(g: Group<L>): string[] {
    const out: string[] = [];
    for (const d of g.daemons) for (const m of d.members) out.push(m);
    return out;
  }

  /** CAUSED_BY_JOIN / LEAVE / DISCONNECT: one vs set holding the member that changed (spec 5.3). */
  private notifyLightweight(g: Group<L>, cause: number, changed: string): GroupNotice<L>[] {
    const members = this.memberList(g);
    const vsSets = [[changed]];
    if (this.recordViews) this.views.push({ group: g.name, groupId: g.groupId, members, vsSets, cause });
    const out: GroupNotice<L>[] = [];
    let bytes: Buffer | undefined;
    for (const h of g.localHandles) {
      if (!this.opts.wantsMembership(h)) continue;
      bytes ??= encodeRegularMembership(cause, g.name, members, g.groupId, vsSets, 0);
      out.push({ to: h, bytes });
    }
    return out;
  }
}

const EMPTY: ReadonlyArray<never> = [];
