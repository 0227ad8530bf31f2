// A simulated EVS daemon for one group, driving GroupFsm instances directly (no sockets, no
// clock): joins, leaves, crashes, partitions and merges, with per-sender FIFO and one total order
// per component, where FIFO-or-weaker frames may overtake other senders' frames (as on Spread's
// ring) but never cross a membership event. Every random choice comes from one seeded Rng.
//
// EVS as modelled: a frame sent in a configuration is appended to the inbox of every group member
// of the sender's component at once, so members that go through the next change together have
// the same frames before it; membership events are appended after them. A partition delivers a
// transitional signal (old group id) before the regular CAUSED_BY_NETWORK membership.
import { Rng } from '../sim/rng.ts';
import { GroupFsm, isWeakService, type GroupAction, type GroupInput } from '../../vs-layer/group-fsm.ts';
import type { ServiceLevel } from '../../vs-layer/types.ts';
import type { MemberTrace, SentRecord, TraceEvent } from './checker.ts';

interface Item {
  readonly input: GroupInput;
  /** A membership event: nothing overtakes it. */
  readonly barrier: boolean;
  readonly weak: boolean;
  readonly sender: string | undefined;
}

interface SimMember {
  readonly name: string;
  readonly fsm: GroupFsm;
  inbox: Item[];
  component: number;
  /** Not crashed. */
  alive: boolean;
  /** A member of the group at the EVS level (false after its leave or crash). */
  inGroup: boolean;
  readonly trace: TraceEvent[];
  readonly sent: SentRecord[];
  seq: number;
  readonly tokens: Map<number, { id: string; seq: number }>;
  /** A flush request waits for the (simulated) application. */
  flushPending: boolean;
  refused: number;
}

export interface SimOptions {
  readonly seed: number;
  /** Probability that a delivery picks an overtaking weak frame instead of the inbox head. */
  readonly hurry?: number;
  readonly sendWhileFlushed?: 'queue' | 'reject';
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const SERVICES: readonly ServiceLevel[] = ['reliable', 'fifo', 'causal', 'agreed', 'safe', 'fifo', 'agreed'];

export class EvsSim {
  readonly rng: Rng;
  readonly members = new Map<string, SimMember>();
  /** Per component, the id of its last regular membership (what a transitional signal names). */
  private readonly lastId = new Map<number, string>();
  private nextComponent = 1;
  private nextId = 1;
  private nextToken = 1;
  private nextName = 1;
  dropped = 0;
  /** Vulnerable frames held back at some member (the overtaking path was exercised). */
  held = 0;
  /** Regular memberships generated. */
  changes = 0;
  readonly violations: string[] = [];
  readonly log: string[] = [];

  constructor(private readonly o: SimOptions) {
    this.rng = new Rng(o.seed);
  }

  // ---- queries ----

  get live(): SimMember[] {
    return [...this.members.values()].filter((m) => m.alive && m.inGroup);
  }

  private groupOf(component: number): SimMember[] {
    return [...this.members.values()].filter((m) => m.alive && m.inGroup && m.component === component).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  private components(): number[] {
    return [...new Set(this.live.map((m) => m.component))];
  }

  traces(): MemberTrace[] {
    return [...this.members.values()].map((m) => ({ member: m.name, events: m.trace, sent: m.sent }));
  }

  // ---- membership operations ----

  join(component = this.components()[0] ?? 0): string {
    const name = `p${this.nextName++}`;
    const m: SimMember = {
      name,
      fsm: new GroupFsm({ self: name, group: 'g', sendWhileFlushed: this.o.sendWhileFlushed ?? 'queue' }),
      inbox: [],
      component,
      alive: true,
      inGroup: true,
      trace: [],
      sent: [],
      seq: 0,
      tokens: new Map(),
      flushPending: false,
      refused: 0,
    };
    this.members.set(name, m);
    this.log.push(`join ${name} in c${component}`);
    this.change(component, 'join', [[name]]);
    return name;
  }

  /** The application of `name` leaves (the FSM decides; the LEAVE goes out through its actions). */
  leave(name: string): void {
    const m = this.members.get(name);
    if (m === undefined || !m.alive || !m.inGroup) return;
    this.log.push(`leave ${name}`);
    this.act(m, m.fsm.step({ type: 'appLeave' }));
  }

  crash(name: string): void {
    const m = this.members.get(name);
    if (m === undefined || !m.alive) return;
    this.log.push(`crash ${name}`);
    const was = m.inGroup;
    m.alive = false;
    m.inGroup = false;
    m.inbox = [];
    if (was) this.change(m.component, 'disconnect', [[name]]);
  }

  /** Splits a component in two (both sides non-empty); each side gets a transitional signal and a network change. */
  partition(): void {
    const comps = this.components().filter((c) => this.groupOf(c).length >= 2);
    if (comps.length === 0) return;
    const c = this.rng.pick(comps);
    const members = this.groupOf(c);
    const moved = members.filter(() => this.rng.chance(0.5));
    if (moved.length === 0 || moved.length === members.length) return;
    const nc = this.nextComponent++;
    for (const m of moved) m.component = nc;
    // Processes that are not group members (left, crashed) stay where they are.
    this.log.push(`partition c${c} -> c${c}:[${this.groupOf(c).map((m) => m.name)}] c${nc}:[${moved.map((m) => m.name)}]`);
    const old = this.lastId.get(c)!;
    for (const side of [c, nc]) {
      const group = this.groupOf(side);
      for (const m of group) this.append(m, { input: { type: 'evsTransitional', viewId: old }, barrier: true, weak: false, sender: undefined });
      this.change(side, 'network', [group.map((m) => m.name)]);
    }
  }

  /** Merges two components; the group sees one network change with one vs set per side. */
  merge(): void {
    const comps = this.components();
    if (comps.length < 2) return;
    const a = comps[0]!;
    const b = comps[1]!;
    const sa = this.groupOf(a).map((m) => m.name);
    const sb = this.groupOf(b).map((m) => m.name);
    for (const m of this.members.values()) if (m.component === b) m.component = a;
    this.log.push(`merge c${a} [${sa}] + c${b} [${sb}]`);
    this.change(a, 'network', [sa, sb]);
  }

  /** Appends a regular membership of `component` to every group member there. */
  private change(component: number, cause: 'join' | 'leave' | 'disconnect' | 'network', vsSets: string[][]): void {
    const group = this.groupOf(component);
    if (group.length === 0) return;
    const id = `1.${this.nextId++}.1`;
    this.changes++;
    this.lastId.set(component, id);
    const names = group.map((m) => m.name);
    for (const m of group) {
      const mine = cause === 'network' ? vsSets.findIndex((s) => s.includes(m.name)) : 0;
      this.append(m, {
        input: { type: 'evsRegular', viewId: id, groupId: [1, this.nextId, 1], members: names, cause, vsSets, myVsSetIndex: mine },
        barrier: true,
        weak: false,
        sender: undefined,
      });
    }
  }

  // ---- traffic ----

  /** The application of `name` sends one message (of a random service), maybe to some members only. */
  send(name: string, subgroup = false): void {
    const m = this.members.get(name);
    if (m === undefined || !m.alive || !m.inGroup) return;
    const seq = ++m.seq;
    const id = `${name}:${seq}`;
    const token = this.nextToken++;
    m.tokens.set(token, { id, seq });
    const view = m.fsm.view;
    const receivers = subgroup && view !== undefined ? view.members.filter(() => this.rng.chance(0.6)) : undefined;
    this.act(
      m,
      m.fsm.step({
        type: 'appSend',
        token,
        service: this.rng.pick(SERVICES),
        messType: 1,
        payload: [enc.encode(`${id}|${seq}`)],
        ...(receivers === undefined || receivers.length === 0 ? {} : { receivers }),
      }),
    );
  }

  /** The application answers a pending flush request. */
  flush(name: string): boolean {
    const m = this.members.get(name);
    if (m === undefined || !m.alive || !m.flushPending) return false;
    m.flushPending = false;
    this.act(m, m.fsm.step({ type: 'appFlush' }));
    return true;
  }

  /** Delivers one frame to `name`; returns false if its inbox is empty. */
  deliverOne(name: string): boolean {
    const m = this.members.get(name);
    if (m === undefined || !m.alive || m.inbox.length === 0) return false;
    let i = 0;
    if (this.rng.chance(this.o.hurry ?? 0.3)) {
      const seen = new Set<string>();
      for (let j = 0; j < m.inbox.length; j++) {
        const it = m.inbox[j]!;
        if (it.barrier) break;
        if (j > 0 && it.weak && it.sender !== undefined && !seen.has(it.sender)) {
          i = j;
          break;
        }
        if (it.sender !== undefined) seen.add(it.sender);
      }
    }
    const [it] = m.inbox.splice(i, 1);
    const before = m.fsm.snapshot().held;
    this.act(m, m.fsm.step(it!.input));
    if (m.fsm.snapshot().held > before) this.held++;
    return true;
  }

  private append(m: SimMember, item: Item): void {
    m.inbox.push(item);
  }

  /** Frames go to every group member of the sender's component (receivers only, for a subgroup cast). */
  private multicast(from: SimMember, input: GroupInput, weak: boolean, receivers?: readonly string[]): void {
    for (const r of this.groupOf(from.component)) {
      if (receivers !== undefined && !receivers.includes(r.name)) continue;
      this.append(r, { input, barrier: false, weak, sender: from.name });
    }
  }

  // ---- actions ----

  private act(m: SimMember, actions: readonly GroupAction[]): void {
    const broken = m.fsm.invariants();
    if (broken.length > 0) this.violations.push(`${m.name}: ${broken.join('; ')}`);
    for (const a of actions) {
      switch (a.type) {
        case 'deliver': {
          const e = a.event;
          if (e.kind === 'view') m.trace.push({ kind: 'view', viewId: e.view.id, members: e.view.members, cameWithMe: e.view.cameWithMe });
          else if (e.kind === 'message') {
            const [id, seq] = dec.decode(e.message.payload).split('|');
            m.trace.push({ kind: 'message', viewId: e.message.viewId, sender: e.message.sender, id: id!, seq: Number(seq) });
          } else if (e.kind === 'transitional') m.trace.push({ kind: 'transitional', viewId: e.viewId });
          else if (e.kind === 'left') m.trace.push({ kind: 'left' });
          else if (e.kind === 'flushRequest') m.flushPending = true;
          break;
        }
        case 'sendControl':
          this.multicast(m, a.kind === 'flushOk' ? { type: 'flushOk', sender: m.name, viewId: a.viewId } : { type: 'flushRecv', sender: m.name, viewId: a.viewId }, true);
          break;
        case 'sendData': {
          const t = m.tokens.get(a.token);
          if (t === undefined) {
            this.violations.push(`${m.name}: sendData for unknown token ${a.token}`);
            break;
          }
          m.tokens.delete(a.token);
          m.sent.push({ id: t.id, sender: m.name, seq: t.seq, viewId: a.viewId, ...(a.receivers === undefined ? {} : { receivers: a.receivers }) });
          this.multicast(
            m,
            {
              type: 'data',
              sender: m.name,
              service: a.service,
              messType: a.messType,
              payload: a.payload[0]!,
              ...(a.tag === undefined ? {} : { tag: a.tag }),
              ...(a.receivers === undefined ? {} : { receivers: a.receivers }),
            },
            isWeakService(a.service),
            a.receivers,
          );
          break;
        }
        case 'queued':
          break;
        case 'refuse':
          if (a.token !== undefined) m.tokens.delete(a.token);
          m.refused++;
          break;
        case 'sendLeave':
          // The daemon: self-leave to the leaver, a leave membership to the others.
          m.inGroup = false;
          this.append(m, { input: { type: 'evsSelfLeave' }, barrier: true, weak: false, sender: undefined });
          this.change(m.component, 'leave', [[m.name]]);
          break;
        case 'dropped':
          this.dropped++;
          break;
      }
    }
  }

  // ---- running ----

  /** One random step of the workload. */
  tick(p: { churn: number }): void {
    const r = this.rng.next();
    const live = this.live;
    const anyone = [...this.members.values()].filter((m) => m.alive);
    if (live.length < 2 || r < p.churn * 0.3) {
      if (this.members.size < 24) this.join(this.rng.pick([...this.components(), ...(this.components().length === 0 ? [0] : [])]));
    } else if (r < p.churn * 0.45) this.leave(this.rng.pick(live).name);
    else if (r < p.churn * 0.6) this.crash(this.rng.pick(live).name);
    else if (r < p.churn * 0.8) this.partition();
    else if (r < p.churn) this.merge();
    else if (r < 0.35) this.send(this.rng.pick(live).name, this.rng.chance(0.1));
    else if (r < 0.45) {
      const waiting = anyone.filter((m) => m.flushPending);
      if (waiting.length > 0) this.flush(this.rng.pick(waiting).name);
    } else {
      const busy = anyone.filter((m) => m.inbox.length > 0);
      if (busy.length > 0) this.deliverOne(this.rng.pick(busy).name);
    }
  }

  /** Heals every partition and runs until nothing is left to deliver or flush. */
  quiesce(maxSteps = 200_000): boolean {
    while (this.components().length > 1) this.merge();
    for (let i = 0; i < maxSteps; i++) {
      const anyone = [...this.members.values()].filter((m) => m.alive);
      const busy = anyone.filter((m) => m.inbox.length > 0);
      if (busy.length > 0) {
        this.deliverOne(this.rng.pick(busy).name);
        continue;
      }
      const waiting = anyone.filter((m) => m.flushPending);
      if (waiting.length === 0) return true;
      this.flush(this.rng.pick(waiting).name);
    }
    return false;
  }
}
