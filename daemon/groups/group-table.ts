// The group layer core (design section 7): one table of groups, members and group ids, identical
// on every daemon of a configuration because it changes only through ordered deliveries: joins,
// leaves and kills, daemon configuration changes, and the GROUPS state exchange after a merge.
// Pure: no I/O, no clock. Local members carry an opaque handle L (the session layer's session
// object) so that delivering a message needs no lookup by name.
import {
  CAUSED_BY_DISCONNECT,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  CAUSED_BY_NETWORK,
  encodeRegularMembership,
  encodeSelfLeaveMessage,
  encodeTransitionMessage,
  parsePrivateGroupName,
  type GroupId,
} from '../../client/wire/index.ts';
import { GROUPS_BUF_SIZE, type GroupsGroup, type GroupsMessage } from './groups-message.ts';

export interface RingId {
  readonly procId: number;
  readonly time: number;
}

/** A membership message for one local member. */
export interface GroupNotice<L> {
  readonly to: L;
  readonly bytes: Buffer;
}

/** What a configuration change asks of the layers around the group table. */
export interface GroupActions<L> {
  readonly notices: GroupNotice<L>[];
  /** GROUPS messages to send through the ring's GROUPS queue, in this order (last one Agreed). */
  readonly groupsMessages: Array<{ readonly service: 'RELIABLE' | 'AGREED'; readonly message: GroupsMessage }>;
  /** 'start': stop reading clients, drain the GROUPS queue, threshold AGREED. 'done': undo it. */
  exchange: 'start' | 'done' | undefined;
}

/** A view change, reported for the trace and the checkers (design 10.4). */
export interface ViewRecord {
  readonly group: string;
  readonly groupId: GroupId;
  readonly members: ReadonlyArray<string>;
  readonly vsSets: ReadonlyArray<ReadonlyArray<string>>;
  readonly cause: number;
}

export type GroupState = 'GOP' | 'GTRANS' | 'GGATHER' | 'GGT';

interface DaemonEntry<L> {
  readonly daemonName: string;
  readonly order: number;
  /** Private group names, kept sorted byte-wise. */
  readonly members: string[];
  /** Handles of members on this daemon, by private group name. */
  readonly local: Map<string, L>;
  /** The configuration this daemon's part of the view came from; undefined = partitioned. */
  ringId: RingId | undefined;
}

interface Group<L> {
  readonly name: string;
  groupId: GroupId;
  /** Sorted by configuration order of the daemon. */
  readonly daemons: DaemonEntry<L>[];
  /** All local handles of the group, for fast delivery. */
  readonly localHandles: L[];
  /** Affected by a daemon membership change whose CAUSED_BY_NETWORK view is still to come. */
  changed: boolean;
}

export interface GroupTableOptions {
  /** Name of this daemon: members whose private group ends in it are local. */
  readonly selfDaemon: string;
  /** Position of a daemon in configuration order (unknown names sort last). */
  readonly daemonOrder: (daemonName: string) => number;
  /** Whether a local handle asked for membership messages at connect time. */
  readonly wantsMembership: (handle: unknown) => boolean;
  /**
   * Daemons known to start with the same (empty) table as this one: those of a ring installed
   * from the configuration. Default: this daemon alone, as when every daemon starts by itself.
   */
  readonly initialSynced?: ReadonlyArray<string>;
}

/** Byte-wise comparison (strcmp on latin1 names). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ring ids compare as signed 32-bit proc id, then time (design 7.5); undefined sorts last. */
export function compareRingIds(a: RingId | undefined, b: RingId | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const pa = a.procId | 0;
  const pb = b.procId | 0;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.time === b.time ? 0 : a.time < b.time ? -1 : 1;
}

const sameRing = (a: RingId | undefined, b: RingId | undefined): boolean =>
  a !== undefined && b !== undefined && a.procId === b.procId && a.time === b.time;

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

const emptyActions = <L>(): GroupActions<L> => ({ notices: [], groupsMessages: [], exchange: undefined });

export class GroupTable<L> {
  private readonly groups = new Map<string, Group<L>>();
  /** Groups each member is in, for disconnects (member -> group names). */
  private readonly memberGroups = new Map<string, Set<string>>();
  /** The last regular configuration's id. */
  private regularId: RingId;
  /** In GTRANS: the transitional configuration's id and daemons. */
  private transId: RingId | undefined;
  private transMembers: ReadonlySet<string> = new Set();
  /** Daemons of the regular configuration being installed (GGATHER, GGT). */
  private regularMembers: ReadonlySet<string>;
  /** Daemons whose tables are known to equal mine (design 7.1). */
  private synced: Set<string>;
  private gstate: GroupState = 'GOP';
  /** GROUPS messages kept from other representatives, and the exchange's progress. */
  private kept = new Map<string, GroupsMessage[]>();
  private completeReps = new Set<string>();
  private completeCount = 0;
  /** A transitional configuration that arrived during GGATHER, handled after the exchange. */
  private pendingTrans: { id: RingId; members: ReadonlySet<string> } | undefined;
  /** Views installed, for tests and the trace. */
  readonly views: ViewRecord[] = [];
  recordViews = false;
  /** Joins, leaves or kills delivered where the design says none can be (checked by tests). */
  anomalies = 0;

  constructor(
    private readonly opts: GroupTableOptions,
    ringId: RingId,
  ) {
    this.regularId = ringId;
    this.synced = new Set([opts.selfDaemon, ...(opts.initialSynced ?? [])]);
    this.regularMembers = new Set(this.synced);
  }

  get state(): GroupState {
    return this.gstate;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  get syncedSet(): ReadonlySet<string> {
    return this.synced;
  }

  /** Sets the regular configuration's id without a change of daemons (a ring installed from config). */
  setRingId(ringId: RingId): void {
    this.regularId = ringId;
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

  /** A canonical text of the table, equal on daemons that agree on every group (for checkers). */
  digest(): string {
    return this.groupNames()
      .map((n) => {
        const g = this.groups.get(n)!;
        return `${n}@${g.groupId.procId}.${g.groupId.time}.${g.groupId.index}:${this.memberList(g).join(',')}`;
      })
      .join('|');
  }

  // ---- joins, leaves and kills (design 7.3) ----------------------------------------------

  private currentId(): RingId {
    return this.gstate === 'GTRANS' && this.transId !== undefined ? this.transId : this.regularId;
  }

  private checkClientChange(): boolean {
    if (this.gstate === 'GOP' || this.gstate === 'GTRANS') return true;
    this.anomalies++;
    return false;
  }

  /** A join delivered in order. `handle` is given when the joiner is a local session. */
  join(member: string, group: string, handle: L | undefined): GroupNotice<L>[] {
    const parsed = parsePrivateGroupName(member);
    if (parsed === undefined || !this.checkClientChange()) return [];
    let g = this.groups.get(group);
    if (g === undefined) {
      g = { name: group, groupId: { ...this.currentId(), index: 0 }, daemons: [], localHandles: [], changed: false };
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
    if (entry.ringId === undefined) g.changed = true;
    if (g.changed) return this.notifyNetwork(g, member, true);
    return this.notifyLightweight(g, CAUSED_BY_JOIN, member);
  }

  /** A leave delivered in order: self-leave to the leaver if local, then the view to the rest. */
  leave(member: string, group: string): GroupNotice<L>[] {
    const g = this.groups.get(group);
    if (g === undefined || !this.checkClientChange()) return [];
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
    if (mine === undefined || !this.checkClientChange()) return [];
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

  // ---- daemon configuration changes (design 7.6) -----------------------------------------

  /** A transitional configuration: the daemons that came with me from the last regular one. */
  transitional(transId: RingId, daemons: ReadonlyArray<string>): GroupActions<L> {
    const members = new Set(daemons);
    const out = emptyActions<L>();
    if (this.gstate === 'GGATHER') {
      // Cascade: no message can be delivered before the next regular view, so no signal now.
      for (const g of this.groups.values()) if (g.daemons.some((d) => !members.has(d.daemonName))) g.changed = true;
      this.pendingTrans = { id: transId, members };
      this.gstate = 'GGT';
      return out;
    }
    if (this.gstate === 'GGT') {
      this.pendingTrans = { id: transId, members };
      return out;
    }
    this.enterTransitional(transId, members, out);
    return out;
  }

  private enterTransitional(transId: RingId, members: ReadonlySet<string>, out: GroupActions<L>): void {
    for (const g of this.groups.values()) {
      let lost = false;
      for (const d of g.daemons) {
        if (!members.has(d.daemonName) && d.ringId !== undefined) {
          d.ringId = undefined;
          lost = true;
        }
      }
      if (!lost) continue;
      if (!g.changed) this.signalTransition(g, out.notices);
      g.groupId = { ...transId, index: 1 };
      g.changed = true;
      for (const d of g.daemons) if (d.ringId !== undefined) d.ringId = transId;
    }
    for (const d of [...this.synced]) if (!members.has(d)) this.synced.delete(d);
    this.transId = transId;
    this.transMembers = members;
    this.gstate = 'GTRANS';
  }

  /** A regular configuration: the daemons of the new ring. */
  regular(ringId: RingId, daemons: ReadonlyArray<string>): GroupActions<L> {
    const members = new Set(daemons);
    const out = emptyActions<L>();
    if (this.gstate === 'GOP') {
      // A ring re-formed with nobody lost (token loss only): nothing for clients.
      if (![...this.regularMembers].some((d) => !members.has(d)) && ![...members].some((d) => !this.regularMembers.has(d))) {
        this.regularId = ringId;
        return out;
      }
      // Members can only be added after a transitional configuration; treat as one with everybody.
      this.enterTransitional(ringId, new Set([...this.regularMembers].filter((d) => members.has(d))), out);
    }
    if (this.gstate === 'GGT') {
      // The exchange of the older ring cannot finish: keep nothing of it, start again.
      this.kept.clear();
      this.completeReps.clear();
      this.completeCount = 0;
      const t = this.pendingTrans!;
      this.pendingTrans = undefined;
      for (const d of [...this.synced]) if (!t.members.has(d)) this.synced.delete(d);
      this.dropDaemonsOutside(t.members);
      this.transMembers = t.members;
      this.regularId = ringId;
      this.regularMembers = members;
      this.startExchange(out, false);
      return out;
    }
    this.regularId = ringId;
    this.regularMembers = members;
    const newcomers = [...members].some((d) => !this.transMembers.has(d));
    this.dropDaemonsOutside(members);
    if (!newcomers) {
      for (const g of this.groups.values()) if (g.changed) this.installNetworkView(g, out.notices);
      this.gstate = 'GOP';
      this.transId = undefined;
      return out;
    }
    this.startExchange(out, true);
    return out;
  }

  /** Deletes daemon entries not in `members` (partitioned ones), and groups left empty. */
  private dropDaemonsOutside(members: ReadonlySet<string>): void {
    for (const g of [...this.groups.values()]) {
      for (let i = g.daemons.length - 1; i >= 0; i--) {
        const d = g.daemons[i]!;
        if (members.has(d.daemonName) && d.ringId !== undefined) continue;
        g.daemons.splice(i, 1);
        g.changed = true;
        for (const m of d.members) {
          const mine = this.memberGroups.get(m);
          mine?.delete(g.name);
          if (mine !== undefined && mine.size === 0) this.memberGroups.delete(m);
        }
      }
      if (g.daemons.length === 0) this.groups.delete(g.name);
    }
  }

  private representative(): string {
    return [...this.synced].sort((a, b) => this.opts.daemonOrder(a) - this.opts.daemonOrder(b) || compareNames(a, b))[0]!;
  }

  private startExchange(out: GroupActions<L>, announce: boolean): void {
    if (announce || this.gstate !== 'GGT') out.exchange = 'start';
    this.gstate = 'GGATHER';
    this.kept.clear();
    this.completeReps.clear();
    this.completeCount = 0;
    if (this.representative() === this.opts.selfDaemon) {
      const messages = this.buildGroupsMessages();
      messages.forEach((message, i) => out.groupsMessages.push({ service: i === messages.length - 1 ? 'AGREED' : 'RELIABLE', message }));
    }
  }

  /** My synced set's state, cut into messages of at most GROUPS_BUF_SIZE; the synced set rides on the last. */
  private buildGroupsMessages(): GroupsMessage[] {
    const out: GroupsMessage[] = [];
    let batch: GroupsGroup[] = [];
    let size = 0;
    const base = { ringId: this.regularId, representative: this.opts.selfDaemon };
    for (const name of this.groupNames()) {
      const g = this.groups.get(name)!;
      const entries = g.daemons.map((d) => ({ daemon: d.daemonName, members: [...d.members] }));
      const grp: GroupsGroup = { name, groupId: g.groupId, changed: g.changed, entries };
      const bytes = JSON.stringify(grp).length;
      if (size + bytes > GROUPS_BUF_SIZE && batch.length > 0) {
        out.push({ ...base, groups: batch });
        batch = [];
        size = 0;
      }
      batch.push(grp);
      size += bytes;
    }
    out.push({ ...base, syncedSet: [...this.synced], groups: batch });
    return out;
  }

  /** A GROUPS message delivered by the ring (design 7.6, collecting). */
  groupsMessage(m: GroupsMessage): GroupActions<L> {
    const out = emptyActions<L>();
    if ((this.gstate !== 'GGATHER' && this.gstate !== 'GGT') || !sameRing(m.ringId, this.regularId)) return out;
    const mine = m.representative === this.representative();
    if (!mine) {
      let list = this.kept.get(m.representative);
      if (list === undefined) this.kept.set(m.representative, (list = []));
      list.push(m);
    }
    if (m.syncedSet !== undefined && !this.completeReps.has(m.representative)) {
      this.completeReps.add(m.representative);
      this.completeCount += m.syncedSet.length;
    }
    if (this.completeCount < this.regularMembers.size) return out;
    this.finishExchange(out);
    return out;
  }

  private finishExchange(out: GroupActions<L>): void {
    out.exchange = 'done';
    for (const list of this.kept.values()) {
      for (const m of list) {
        for (const grp of m.groups) this.mergeGroup(grp, m.ringId);
        if (m.syncedSet !== undefined) for (const d of m.syncedSet) this.synced.add(d);
      }
    }
    this.kept.clear();
    for (const g of this.groups.values()) if (g.changed) this.installNetworkView(g, out.notices);
    this.gstate = 'GOP';
    this.transId = undefined;
    if (this.pendingTrans !== undefined) {
      const t = this.pendingTrans;
      this.pendingTrans = undefined;
      this.enterTransitional(t.id, t.members, out);
    }
  }

  /** Adds another synced set's view of a group to mine (G_mess_to_groups). */
  private mergeGroup(grp: GroupsGroup, _exchangeRing: RingId): void {
    let g = this.groups.get(grp.name);
    if (g === undefined) {
      g = { name: grp.name, groupId: { ...grp.groupId }, daemons: [], localHandles: [], changed: false };
      this.groups.set(grp.name, g);
    }
    if (grp.changed) g.changed = true;
    const theirRing: RingId = { procId: grp.groupId.procId, time: grp.groupId.time };
    if (!sameRing(theirRing, g.groupId)) g.changed = true;
    for (const e of grp.entries) {
      const entry = this.daemonEntry(g, e.daemon);
      entry.ringId = theirRing;
      for (const m of e.members) {
        if (!insertSorted(entry.members, m)) continue;
        let mine = this.memberGroups.get(m);
        if (mine === undefined) this.memberGroups.set(m, (mine = new Set()));
        mine.add(g.name);
      }
    }
  }

  /** Sends the CAUSED_BY_NETWORK view of a changed group and makes it current. */
  private installNetworkView(g: Group<L>, notices: GroupNotice<L>[]): void {
    g.groupId = { ...this.regularId, index: 1 };
    g.changed = false;
    for (const n of this.notifyNetwork(g, undefined, false)) notices.push(n);
    for (const d of g.daemons) d.ringId = this.regularId;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private daemonEntry(g: Group<L>, daemonName: string): DaemonEntry<L> {
    const order = this.opts.daemonOrder(daemonName);
    let i = 0;
    for (; i < g.daemons.length; i++) {
      const d = g.daemons[i]!;
      if (d.daemonName === daemonName) return d;
      if (d.order > order || (d.order === order && compareNames(d.daemonName, daemonName) > 0)) break;
    }
    const partitioned = this.gstate === 'GTRANS' && !this.transMembers.has(daemonName);
    const entry: DaemonEntry<L> = {
      daemonName,
      order,
      members: [],
      local: new Map(),
      ringId: partitioned ? undefined : { procId: g.groupId.procId, time: g.groupId.time },
    };
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
    const notices = g.changed ? this.notifyNetwork(g, undefined, true) : this.notifyLightweight(g, cause, member);
    for (const n of notices) out.push(n);
  }

  private memberList(g: Group<L>): string[] {
    const out: string[] = [];
    for (const d of g.daemons) for (const m of d.members) out.push(m);
    return out;
  }

  private signalTransition(g: Group<L>, out: GroupNotice<L>[]): void {
    let bytes: Buffer | undefined;
    for (const h of g.localHandles) {
      if (!this.opts.wantsMembership(h)) continue;
      bytes ??= encodeTransitionMessage(g.name, g.groupId);
      out.push({ to: h, bytes });
    }
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

  /**
   * CAUSED_BY_NETWORK with full vs sets (G_build_memb_vs_buf): daemon entries sorted by the ring
   * they came from, consecutive entries of one ring form a set, each partitioned entry a set of
   * its own, a joiner during a changed period alone in a last set. `signal` adds the
   * transitional signal that follows such a view while the group is still changed.
   */
  private notifyNetwork(g: Group<L>, joiner: string | undefined, signal: boolean): GroupNotice<L>[] {
    const members = this.memberList(g);
    const entries = [...g.daemons].sort((a, b) => compareRingIds(a.ringId, b.ringId) || a.order - b.order);
    const vsSets: string[][] = [];
    const setOfDaemon = new Map<string, number>();
    let prev: RingId | undefined;
    for (const d of entries) {
      const names = d.members.filter((m) => m !== joiner);
      if (d.ringId === undefined || vsSets.length === 0 || !sameRing(prev, d.ringId)) vsSets.push([]);
      prev = d.ringId;
      vsSets[vsSets.length - 1]!.push(...names);
      setOfDaemon.set(d.daemonName, vsSets.length - 1);
    }
    for (let i = vsSets.length - 1; i >= 0; i--) {
      if (vsSets[i]!.length > 0) continue;
      // Empty sets carry nothing (design 7.5 allows leaving them out); keep indexes right.
      vsSets.splice(i, 1);
      for (const [k, v] of setOfDaemon) if (v > i) setOfDaemon.set(k, v - 1);
    }
    const joinerSet = joiner !== undefined ? vsSets.push([joiner]) - 1 : -1;
    if (this.recordViews) this.views.push({ group: g.name, groupId: g.groupId, members, vsSets, cause: CAUSED_BY_NETWORK });
    const out: GroupNotice<L>[] = [];
    const mySet = setOfDaemon.get(this.opts.selfDaemon) ?? 0;
    let bytes: Buffer | undefined;
    let joinerBytes: Buffer | undefined;
    let transition: Buffer | undefined;
    const self = g.daemons.find((d) => d.daemonName === this.opts.selfDaemon);
    for (const h of g.localHandles) {
      if (!this.opts.wantsMembership(h)) continue;
      const isJoiner = joiner !== undefined && self?.local.get(joiner) === h;
      if (isJoiner) {
        joinerBytes ??= encodeRegularMembership(CAUSED_BY_NETWORK, g.name, members, g.groupId, vsSets, joinerSet);
        out.push({ to: h, bytes: joinerBytes });
      } else {
        bytes ??= encodeRegularMembership(CAUSED_BY_NETWORK, g.name, members, g.groupId, vsSets, Math.min(mySet, vsSets.length - 1));
        out.push({ to: h, bytes });
      }
      if (signal) {
        transition ??= encodeTransitionMessage(g.name, g.groupId);
        out.push({ to: h, bytes: transition });
      }
    }
    return out;
  }
}

const EMPTY: ReadonlyArray<never> = [];
