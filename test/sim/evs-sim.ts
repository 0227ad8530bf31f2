// Deterministic simulator of daemons running the full ring core: membership, EVS recovery and
// ordering, under crashes, restarts, partitions into any cells, heals, token loss, stalls, packet
// loss, duplication and reordering, with simulated clients (design 10.2). Same scenario (seed
// included) = same run, event for event.
import type { MembershipTimeouts } from '../../daemon/config/model.ts';
import { sameCell } from '../../daemon/net/ring-partition.ts';
import { RingCore, WATER_MARK, type MembershipState, type RingAction, type RingTimerName } from '../../daemon/ring/index.ts';
import type { RingId } from '../../daemon/wire/index.ts';
import type { EvsFinal, EvsRecord, EvsRunTrace, EvsSent, EvsSubmit } from '../checkers/evs-trace.ts';
import { testConfig } from './config.ts';
import { EventQueue } from './event-queue.ts';
import { SimNetwork, type Arrival, type Blackout } from './network.ts';
import { Rng } from './rng.ts';
import { DEFAULT_MIX, drawService, drawSize, makePayload, payloadMatches, readPayloadId, type WorkloadMix } from './workload.ts';

/** Virtual-time timeouts: the guide's set scaled by 1/100 (design 5.9, 10.2). */
export const SIM_TIMEOUTS: MembershipTimeouts = {
  tokenMs: 50,
  hurryMs: 20,
  aliveMs: 10,
  joinMs: 10,
  repMs: 25,
  segMs: 20,
  gatherMs: 50,
  formMs: 50,
  lookupMs: 600,
};

/**
 * How long after the last fault the membership must have settled (design 6.6 item 12): a merge
 * waits at most one Lookup period, then each attempt costs at most Token (detection) + Seg +
 * Gather + Form + recovery; we allow four attempts (cascades caused by the faults themselves).
 */
export function settleBound(t: MembershipTimeouts): number {
  return t.lookupMs + 4 * (t.tokenMs + t.segMs + t.gatherMs + t.formMs + t.repMs);
}

export type SimFault =
  | { readonly at: number; readonly kind: 'crash'; readonly daemon: number }
  | { readonly at: number; readonly kind: 'restart'; readonly daemon: number }
  | { readonly at: number; readonly kind: 'partition'; readonly cells: ReadonlyArray<number> }
  | { readonly at: number; readonly kind: 'heal' }
  /** The network loses every datagram of `channel` (default both) for a while. */
  | { readonly at: number; readonly kind: 'blackout'; readonly forMs: number; readonly channel?: 'data' | 'token' }
  /** The daemon does not run for a while (a scheduling stall): its datagrams and timers wait. */
  | { readonly at: number; readonly kind: 'stall'; readonly daemon: number; readonly forMs: number };

/** Faults triggered by what a daemon does, to hit the narrow windows of a membership change. */
export interface SimTrigger {
  readonly daemon: number;
  /** Crash when it enters this state for the nth time (from 1), or when it commits (6.5). */
  readonly on: MembershipState | 'commit';
  readonly nth: number;
  /** Restart this long after the crash (never if undefined). */
  readonly restartAfterMs?: number;
}

export interface EvsScenario {
  readonly seed: number;
  /** A name for reports. */
  readonly label: string;
  readonly daemons: number;
  readonly loss: number;
  readonly duplicate: number;
  /** Loss and duplication stop at this time (a fault that ends, for the liveness check). */
  readonly lossEndMs: number;
  readonly baseLatencyMs: number;
  readonly jitterMs: number;
  readonly acceleratedRing: boolean;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedWindow: number;
  readonly timeouts: MembershipTimeouts;
  /** Outside recovery a token whose seq passes this is swallowed, forcing a membership (3.11). */
  readonly seqWrapLimit?: number;
  /** When each daemon boots (ms). */
  readonly bootAt: ReadonlyArray<number>;
  readonly faults: ReadonlyArray<SimFault>;
  readonly triggers: ReadonlyArray<SimTrigger>;
  readonly messagesPerDaemon: number;
  /** Clients submit from their daemon's boot until this time. */
  readonly workEndMs: number;
  readonly meanIntervalMs: number;
  readonly burst: number;
  readonly hugePerDaemon: number;
  readonly mix: WorkloadMix;
  readonly maxVirtualMs: number;
  readonly maxEvents: number;
  readonly verbose: boolean;
}

export function defaultEvsScenario(seed: number, over: Partial<EvsScenario> = {}): EvsScenario {
  const daemons = over.daemons ?? 3;
  return {
    seed,
    label: 'default',
    daemons,
    loss: 0,
    duplicate: 0,
    lossEndMs: 1000,
    baseLatencyMs: 0.05,
    jitterMs: 0.1,
    acceleratedRing: false,
    window: 160,
    personalWindow: 20,
    acceleratedWindow: 15,
    timeouts: SIM_TIMEOUTS,
    bootAt: new Array<number>(daemons).fill(0),
    faults: [],
    triggers: [],
    messagesPerDaemon: 40,
    workEndMs: 400,
    meanIntervalMs: 5,
    burst: 4,
    hugePerDaemon: 0,
    mix: DEFAULT_MIX,
    maxVirtualMs: 30_000,
    maxEvents: 4_000_000,
    verbose: false,
    ...over,
  };
}

type SimEvent =
  | { readonly kind: 'arrive'; readonly a: Arrival }
  | { readonly kind: 'turn'; readonly d: number; readonly inc: number }
  | { readonly kind: 'timer'; readonly d: number; readonly inc: number; readonly name: RingTimerName; readonly gen: number }
  | { readonly kind: 'client'; readonly d: number }
  | { readonly kind: 'fault'; readonly f: SimFault }
  | { readonly kind: 'boot'; readonly d: number }
  | { readonly kind: 'check' };

interface SimDaemon {
  core: RingCore | undefined;
  incarnation: number;
  dataQ: Uint8Array[];
  tokenQ: Uint8Array[];
  turnScheduled: boolean;
  tokenFirst: boolean;
  readonly timers: Map<RingTimerName, number>;
  timerGen: number;
  stalledUntil: number;
  readonly rng: Rng;
  submitted: number;
  hugeLeft: number;
  deliveredThisIncarnation: number;
  lastState: MembershipState | undefined;
  readonly stateCount: Map<string, number>;
  steps: number;
  readonly records: EvsRecord[];
  readonly recent: string[];
}

export interface EvsSimStats {
  events: number;
  virtualMs: number;
  datagrams: number;
  lost: number;
  submitted: number;
  delivered: number;
  regularConfigs: number;
  tokenLosses: number;
  evsValve: number;
  crashes: number;
  recoveryHoles: number;
  recoveryDiscarded: number;
  recoveryByCommitSet: number;
}

const RECENT = 40;

function ringKey(r: RingId): string {
  return `${r.procId >>> 0}:${r.time >>> 0}`;
}

export class EvsSim {
  readonly scenario: EvsScenario;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly config: ReturnType<typeof testConfig>;
  private readonly ids: number[];
  private readonly indexOf = new Map<number, number>();
  private readonly daemons: SimDaemon[];
  private readonly submits: EvsSubmit[] = [];
  private readonly sizes = new Map<string, number>();
  private readonly sent: EvsSent[] = [];
  private readonly anomalies: string[] = [];
  private partition: ReadonlyArray<number> | undefined;
  private readonly fired = new Set<SimTrigger>();
  /** Counters of cores that crashed or ended, summed. */
  private readonly retired = { tokenLosses: 0, evsValve: 0, recoveryHoles: 0, recoveryDiscarded: 0, recoveryByCommitSet: 0 };

  private retire(core: RingCore): void {
    const c = core.state.counters;
    this.retired.tokenLosses += c.tokenLosses;
    this.retired.evsValve += c.evsValve;
    this.retired.recoveryHoles += c.recoveryHoles;
    this.retired.recoveryDiscarded += c.recoveryDiscarded;
    this.retired.recoveryByCommitSet += c.recoveryByCommitSet;
  }
  private lastFaultAt = 0;
  private now = 0;
  private events = 0;
  private finished = false;
  private readonly stats = { submitted: 0, delivered: 0, regularConfigs: 0, crashes: 0 };

  constructor(scenario: EvsScenario) {
    this.scenario = scenario;
    this.rng = new Rng(scenario.seed);
    this.config = testConfig({
      daemons: scenario.daemons,
      window: scenario.window,
      personalWindow: scenario.personalWindow,
      acceleratedRing: scenario.acceleratedRing,
      acceleratedWindow: scenario.acceleratedWindow,
    });
    this.ids = this.config.daemons.map((d) => d.id);
    this.ids.forEach((id, i) => this.indexOf.set(id, i));
    const blackouts: Blackout[] = scenario.faults
      .filter((f): f is Extract<SimFault, { kind: 'blackout' }> => f.kind === 'blackout')
      .map((f) => ({ atMs: f.at, forMs: f.forMs, channel: f.channel }));
    this.net = new SimNetwork(
      this.rng,
      { loss: scenario.loss, duplicate: scenario.duplicate, baseLatencyMs: scenario.baseLatencyMs, jitterMs: scenario.jitterMs },
      [],
      blackouts,
      () => this.now,
      (delay, a) => this.queue.push(this.now + delay, { kind: 'arrive', a }),
      scenario.lossEndMs,
    );
    this.daemons = this.ids.map(() => ({
      core: undefined,
      incarnation: -1,
      dataQ: [],
      tokenQ: [],
      turnScheduled: false,
      tokenFirst: false,
      timers: new Map(),
      timerGen: 0,
      stalledUntil: 0,
      rng: this.rng.fork(),
      submitted: 0,
      hugeLeft: scenario.hugePerDaemon,
      deliveredThisIncarnation: 0,
      lastState: undefined,
      stateCount: new Map(),
      steps: 0,
      records: [],
      recent: [],
    }));
  }

  run(): { trace: EvsRunTrace; stats: EvsSimStats } {
    const sc = this.scenario;
    sc.bootAt.forEach((at, d) => this.queue.push(at, { kind: 'boot', d }));
    for (const f of sc.faults) {
      this.queue.push(f.at, { kind: 'fault', f });
      const end = f.kind === 'blackout' || f.kind === 'stall' ? f.at + f.forMs : f.at;
      if (end > this.lastFaultAt) this.lastFaultAt = end;
    }
    for (const at of sc.bootAt) if (at > this.lastFaultAt) this.lastFaultAt = at;
    if ((sc.loss > 0 || sc.duplicate > 0) && sc.lossEndMs > this.lastFaultAt) this.lastFaultAt = sc.lossEndMs;
    this.queue.push(Math.max(this.lastFaultAt, sc.workEndMs), { kind: 'check' });
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined) break;
      if (next.time > sc.maxVirtualMs || this.events >= sc.maxEvents) break;
      this.now = next.time;
      this.events++;
      this.handle(next.event);
      if (this.finished) break;
    }
    return { trace: this.trace(), stats: this.collectStats() };
  }

  private collectStats(): EvsSimStats {
    const c = this.retired;
    for (const x of this.daemons) if (x.core !== undefined) this.retire(x.core);
    const { tokenLosses, evsValve, recoveryHoles, recoveryDiscarded, recoveryByCommitSet } = c;
    return {
      events: this.events,
      virtualMs: this.now,
      datagrams: this.net.stats.sent,
      lost: this.net.stats.lost,
      submitted: this.stats.submitted,
      delivered: this.stats.delivered,
      regularConfigs: this.stats.regularConfigs,
      tokenLosses,
      evsValve,
      crashes: this.stats.crashes,
      recoveryHoles,
      recoveryDiscarded,
      recoveryByCommitSet,
    };
  }

  private trace(): EvsRunTrace {
    const final: EvsFinal[] = this.daemons.map((x) => {
      if (x.core === undefined) return { alive: false, state: 'DOWN', ring: '', members: [] };
      const s = x.core.state;
      return { alive: true, state: s.memberState, ring: ringKey(s.ring.ringId), members: s.ring.members.map((id) => this.indexOf.get(id)!) };
    });
    return {
      daemons: this.scenario.daemons,
      ids: this.ids,
      records: this.daemons.map((x) => x.records),
      submits: this.submits,
      sent: this.sent,
      anomalies: this.anomalies,
      lastFaultAt: this.lastFaultAt,
      settleBoundMs: settleBound(this.scenario.timeouts),
      finished: this.finished,
      final,
    };
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case 'arrive':
        return this.arrive(ev.a);
      case 'turn': {
        const x = this.daemons[ev.d]!;
        if (x.incarnation !== ev.inc || x.core === undefined) return;
        if (this.now < x.stalledUntil) {
          this.queue.push(x.stalledUntil, ev);
          return;
        }
        return this.turn(ev.d);
      }
      case 'timer': {
        const x = this.daemons[ev.d]!;
        if (x.incarnation !== ev.inc || x.core === undefined || x.timers.get(ev.name) !== ev.gen) return;
        if (this.now < x.stalledUntil) {
          this.queue.push(x.stalledUntil, ev);
          return;
        }
        x.timers.delete(ev.name);
        this.note(ev.d, `timer ${ev.name}`);
        this.apply(ev.d, x.core.step({ type: 'timer', name: ev.name }));
        return;
      }
      case 'client':
        return this.client(ev.d);
      case 'fault':
        return this.fault(ev.f);
      case 'boot':
        return this.boot(ev.d);
      case 'check':
        return this.check();
    }
  }

  private boot(d: number): void {
    const x = this.daemons[d]!;
    if (x.core !== undefined) return;
    x.incarnation++;
    // ring ids use the virtual clock in tenths of a millisecond: ids stay unique across restarts
    x.core = RingCore.fromConfig(this.config, this.ids[d]!, {
      trace: this.scenario.verbose,
      traceSends: true,
      timeouts: this.scenario.timeouts,
      seqWrapLimit: this.scenario.seqWrapLimit,
      clock: () => Math.floor(this.now * 10),
    });
    x.dataQ = [];
    x.tokenQ = [];
    x.turnScheduled = false;
    x.tokenFirst = false;
    x.timers.clear();
    x.deliveredThisIncarnation = 0;
    x.lastState = undefined;
    x.stateCount.clear();
    x.records.push({ kind: 'start', t: this.now, incarnation: x.incarnation });
    this.note(d, `start (incarnation ${x.incarnation})`);
    this.apply(d, x.core.step({ type: 'start' }));
    if (x.incarnation === 0) this.queue.push(this.now + x.rng.exp(this.scenario.meanIntervalMs), { kind: 'client', d });
  }

  private crash(d: number): void {
    const x = this.daemons[d]!;
    if (x.core === undefined) return;
    this.retire(x.core);
    x.core = undefined; // its pending turns and timers find no core, then a newer incarnation
    x.timers.clear();
    x.dataQ = [];
    x.tokenQ = [];
    x.records.push({ kind: 'crash', t: this.now });
    this.stats.crashes++;
    this.note(d, 'CRASH');
  }

  private fault(f: SimFault): void {
    switch (f.kind) {
      case 'crash':
        return this.crash(f.daemon);
      case 'restart':
        return this.boot(f.daemon);
      case 'partition':
        this.partition = f.cells;
        for (let d = 0; d < this.daemons.length; d++) this.note(d, `partition ${f.cells.join('|')}`);
        return;
      case 'heal':
        this.partition = undefined;
        for (let d = 0; d < this.daemons.length; d++) this.note(d, 'heal');
        return;
      case 'blackout':
        return; // applied by the network
      case 'stall': {
        const x = this.daemons[f.daemon]!;
        x.stalledUntil = Math.max(x.stalledUntil, f.at + f.forMs);
        this.note(f.daemon, `stall ${f.forMs} ms`);
        return;
      }
    }
  }

  private arrive(a: Arrival): void {
    const x = this.daemons[a.to]!;
    if (x.core === undefined) return;
    if (!sameCell(this.partition, a.to, a.from)) return;
    (a.channel === 'data' ? x.dataQ : x.tokenQ).push(a.bytes);
    this.scheduleTurn(a.to);
  }

  private scheduleTurn(d: number): void {
    const x = this.daemons[d]!;
    if (x.turnScheduled) return;
    x.turnScheduled = true;
    this.queue.push(this.now, { kind: 'turn', d, inc: x.incarnation });
  }

  /** One turn of a daemon's event loop: all queued data first, then one token (design 1.5, 11). */
  private turn(d: number): void {
    const x = this.daemons[d]!;
    x.turnScheduled = false;
    for (;;) {
      if (x.core === undefined) return;
      if (x.tokenFirst && x.tokenQ.length > 0) {
        this.apply(d, x.core.step({ type: 'token', bytes: x.tokenQ.shift()! }));
        continue;
      }
      if (x.dataQ.length > 0) {
        this.apply(d, x.core.step({ type: 'data', bytes: x.dataQ.shift()! }));
        continue;
      }
      if (x.tokenQ.length > 0) this.apply(d, x.core.step({ type: 'token', bytes: x.tokenQ.shift()! }));
      break;
    }
    if (x.core !== undefined && (x.dataQ.length > 0 || x.tokenQ.length > 0)) this.scheduleTurn(d);
  }

  private client(d: number): void {
    const x = this.daemons[d]!;
    const sc = this.scenario;
    if (x.submitted >= sc.messagesPerDaemon || this.now > sc.workEndMs) return;
    if (x.core !== undefined && this.now >= x.stalledUntil) {
      const n = 1 + x.rng.int(sc.burst);
      for (let k = 0; k < n && x.submitted < sc.messagesPerDaemon; k++) {
        if (x.core.downQueueLength >= WATER_MARK) break; // the session layer stops reading clients
        const size = drawSize(x.rng, sc.mix, x.hugeLeft > 0);
        if (size > 20_000) x.hugeLeft--;
        const counter = x.submitted++;
        const service = drawService(x.rng);
        const key = `${d}:${counter}`;
        this.submits.push({ key, daemon: d, incarnation: x.incarnation, t: this.now, service, size, deliveredBefore: x.deliveredThisIncarnation });
        this.sizes.set(key, size);
        this.stats.submitted++;
        this.apply(d, x.core.step({ type: 'submit', message: { service, payload: makePayload(d, counter, size) } }));
        if (x.core === undefined) return; // a trigger crashed it
      }
    }
    this.queue.push(this.now + x.rng.exp(sc.meanIntervalMs), { kind: 'client', d });
  }

  private apply(d: number, actions: RingAction[]): void {
    const x = this.daemons[d]!;
    const core = x.core;
    if (core === undefined) return;
    let commit = false;
    for (const a of actions) {
      switch (a.type) {
        case 'broadcast':
          for (let e = 0; e < this.daemons.length; e++) if (e !== d) this.net.send(d, e, 'data', a.bytes);
          break;
        case 'unicast':
          this.net.send(d, this.indexOf.get(a.to)!, 'data', a.bytes);
          break;
        case 'sendToken':
          this.net.send(d, this.indexOf.get(a.to)!, 'token', a.bytes);
          break;
        case 'setTimer': {
          const gen = ++x.timerGen;
          x.timers.set(a.name, gen);
          this.queue.push(this.now + a.ms, { kind: 'timer', d, inc: x.incarnation, name: a.name, gen });
          break;
        }
        case 'cancelTimer':
          x.timers.delete(a.name);
          break;
        case 'deliver': {
          const p = a.delivery;
          const id = readPayloadId(p.payload);
          const key = id === undefined ? `?${p.payload.length}` : `${id.daemon}:${id.counter}`;
          const size = this.sizes.get(key);
          x.records.push({
            kind: 'deliver',
            t: this.now,
            key,
            service: p.service,
            size: p.payload.length,
            ring: ringKey(p.ringId),
            seq: p.seq,
            index: p.index,
            fragments: p.fragments,
            early: p.early,
            config: ringKey(p.configId),
            inTransitional: p.inTransitional,
            originator: this.indexOf.get(p.originator) ?? -1,
            payloadOk: id !== undefined && size !== undefined && payloadMatches(p.payload, id.daemon, id.counter, size),
          });
          if (p.service === 'SAFE' && !p.inTransitional) {
            (x.records[x.records.length - 1] as { safeMissingAt?: number[] }).safeMissingAt = this.safeMissing(p.ringId, p.firstSeq, p.seq);
          }
          x.deliveredThisIncarnation++;
          this.stats.delivered++;
          break;
        }
        case 'transitional':
          x.records.push({
            kind: 'transitional',
            t: this.now,
            config: ringKey(a.configId),
            members: a.members.map((id) => this.indexOf.get(id)!),
            from: ringKey(a.fromRingId),
            to: ringKey(a.toRingId),
            commitSet: a.commitSet.map((id) => this.indexOf.get(id)!),
          });
          this.note(d, `transitional ${ringKey(a.configId)} [${a.members.map((id) => this.indexOf.get(id)).join(',')}]`);
          break;
        case 'regular':
          x.records.push({
            kind: 'regular',
            t: this.now,
            ring: ringKey(a.ringId),
            members: a.members.map((id) => this.indexOf.get(id)!),
            transitional: ringKey(a.transitionalId),
          });
          this.stats.regularConfigs++;
          this.note(d, `regular ${ringKey(a.ringId)} [${a.members.map((id) => this.indexOf.get(id)).join(',')}]`);
          break;
        case 'tokenLost':
          this.note(d, `token lost in ${a.state}`);
          break;
        case 'tokenPriority':
          x.tokenFirst = a.tokenFirst;
          break;
        case 'trace': {
          const r = a.record;
          if (r.kind === 'anomaly') {
            this.anomalies.push(`t=${this.now.toFixed(3)} d${d}: ${r.reason}`);
            this.note(d, `ANOMALY ${r.reason}`);
          } else if (r.kind === 'sent') {
            const id = readPayloadId(r.payload);
            if (id !== undefined) {
              this.sent.push({ key: `${id.daemon}:${id.counter}`, daemon: d, incarnation: x.incarnation, t: this.now, ring: ringKey(r.ringId), seq: r.seq, index: r.index });
            }
          } else if (r.kind === 'commit') {
            commit = true;
            this.note(d, 'commit');
          } else if (this.scenario.verbose) {
            this.note(d, JSON.stringify(r));
          }
          break;
        }
      }
    }
    x.steps++;
    const broken = core.checkInvariants(x.steps % 64 === 0);
    if (broken !== undefined) this.anomalies.push(`t=${this.now.toFixed(3)} d${d}: invariant: ${broken}`);
    const state = core.state.memberState;
    if (state !== x.lastState) {
      x.lastState = state;
      const n = (x.stateCount.get(state) ?? 0) + 1;
      x.stateCount.set(state, n);
      this.trigger(d, state, n);
    }
    if (commit) {
      const n = (x.stateCount.get('commit') ?? 0) + 1;
      x.stateCount.set('commit', n);
      this.trigger(d, 'commit', n);
    }
  }

  /** Members of ring C, up and still in C, that lack a packet in firstSeq..seq (Safe needs none). */
  private safeMissing(ring: RingId, firstSeq: number, seq: number): number[] {
    const missing: number[] = [];
    this.daemons.forEach((x, e) => {
      const s = x.core?.state;
      if (s === undefined || s.ring.ringId.procId !== ring.procId || s.ring.ringId.time !== ring.time) return;
      for (let q = firstSeq; q <= seq; q++) {
        if (!x.core!.holds(q)) {
          missing.push(e);
          return;
        }
      }
    });
    return missing;
  }

  private trigger(d: number, on: MembershipState | 'commit', n: number): void {
    for (const t of this.scenario.triggers) {
      if (t.daemon !== d || t.on !== on || t.nth !== n || this.fired.has(t)) continue;
      this.fired.add(t); // once per run
      this.crash(d);
      if (this.now > this.lastFaultAt) this.lastFaultAt = this.now;
      if (t.restartAfterMs !== undefined) {
        const at = this.now + t.restartAfterMs;
        this.queue.push(at, { kind: 'boot', d });
        if (at > this.lastFaultAt) this.lastFaultAt = at;
      }
      return;
    }
  }

  /** Ends the run once every live daemon is in one ring of all live daemons, with nothing left to do. */
  private check(): void {
    const alive: number[] = [];
    this.daemons.forEach((x, d) => x.core !== undefined && alive.push(d));
    let done = this.now >= this.lastFaultAt && this.now >= this.scenario.workEndMs;
    let ring: string | undefined;
    for (const d of alive) {
      if (!done) break;
      const s = this.daemons[d]!.core!.state;
      const key = ringKey(s.ring.ringId);
      ring ??= key;
      done =
        s.memberState === 'OP' &&
        s.tokenAlive &&
        key === ring &&
        s.ring.members.length === alive.length &&
        s.downQueue.length === 0 &&
        s.store.size === 0 &&
        s.upQueues.size === 0;
    }
    if (done) {
      this.finished = true;
      return;
    }
    this.queue.push(this.now + 5, { kind: 'check' });
  }

  private note(d: number, what: string): void {
    const r = this.daemons[d]!.recent;
    r.push(`t=${this.now.toFixed(3)} ${what}`);
    if (r.length > RECENT) r.shift();
  }

  /** Each daemon's state and last events, for failure reports. */
  recentEvents(): string[] {
    const lines: string[] = [];
    this.daemons.forEach((x, d) => {
      if (x.core === undefined) {
        lines.push(`d${d}: down`);
      } else {
        const s = x.core.state;
        lines.push(
          `d${d} (id ${this.ids[d]}): ${s.memberState} ring ${ringKey(s.ring.ringId)} [${s.ring.members.map((id) => this.indexOf.get(id)).join(',')}] ` +
            `alive ${s.tokenAlive} highestSeq ${s.highestSeq} myAru ${s.myAru} aru ${s.aru} stored ${s.store.size} downQueue ${s.downQueue.length}`,
        );
      }
      for (const l of x.recent) lines.push(`    ${l}`);
    });
    return lines;
  }
}
