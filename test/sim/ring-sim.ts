// Deterministic simulator of one fixed ring: N ring cores, a virtual clock with a priority
// queue of (time, sequence, event), a lossy network, data-before-token turns, named timers and
// simulated clients. Same scenario (seed included) = same run, event for event.
import { RingCore, WATER_MARK, type RingAction, type RingDelivery, type RingTimerName } from '../../daemon/ring/index.ts';
import type { DeliverRecord, MemoryRecord, RingRunTrace, SubmitRecord } from '../checkers/ring-trace.ts';
import { LOOPBACK_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES } from '../../daemon/wire/constants.ts';
import { testConfig } from './config.ts';
import { EventQueue } from './event-queue.ts';
import { SimNetwork, type Arrival, type Blackout, type LinkOverride } from './network.ts';
import { Rng } from './rng.ts';
import { DEFAULT_MIX, drawService, drawSize, makePayload, payloadMatches, readPayloadId, type WorkloadMix } from './workload.ts';

export interface RingScenario {
  readonly seed: number;
  readonly daemons: number;
  readonly loss: number;
  readonly duplicate: number;
  readonly baseLatencyMs: number;
  readonly jitterMs: number;
  readonly links: ReadonlyArray<LinkOverride>;
  /** Periods in which the network loses everything (of one channel). */
  readonly blackouts: ReadonlyArray<Blackout>;
  /** Periods in which a daemon does not run (a scheduling stall): its datagrams and timers wait. */
  readonly stalls: ReadonlyArray<{ readonly daemon: number; readonly atMs: number; readonly forMs: number }>;
  readonly acceleratedRing: boolean;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedWindow: number;
  readonly hurryMs: number;
  readonly tokenMs: number;
  readonly messagesPerDaemon: number;
  /** Mean time between a client's submissions, ms. */
  readonly meanIntervalMs: number;
  /** Up to this many messages per submission. */
  readonly burst: number;
  /** Messages above 20 KB each daemon may send. */
  readonly hugePerDaemon: number;
  /** Largest datagram: Spread's 1472, or loopback-sized as PacketSize = auto makes it. */
  readonly packetSize: number;
  readonly mix: WorkloadMix;
  readonly maxVirtualMs: number;
  readonly maxEvents: number;
  /** Verbose core traces (token visits) in the recent-event log. */
  readonly verbose: boolean;
}

export function defaultScenario(seed: number, over: Partial<RingScenario> = {}): RingScenario {
  return {
    seed,
    daemons: 3,
    loss: 0,
    duplicate: 0,
    baseLatencyMs: 0.05,
    jitterMs: 0.1,
    links: [],
    blackouts: [],
    stalls: [],
    acceleratedRing: false,
    window: 160,
    personalWindow: 20,
    acceleratedWindow: 15,
    hurryMs: 5,
    tokenMs: 10_000,
    messagesPerDaemon: 40,
    meanIntervalMs: 0.5,
    burst: 4,
    hugePerDaemon: 1,
    packetSize: MAX_DATAGRAM_BYTES,
    mix: DEFAULT_MIX,
    maxVirtualMs: 60_000,
    maxEvents: 3_000_000,
    verbose: false,
    ...over,
  };
}

/** Swarm testing: every knob drawn from the seed (ring size, loss, duplication, windows, load). */
export function swarmScenario(seed: number, over: Partial<RingScenario> = {}): RingScenario {
  const r = new Rng(seed ^ 0x5a5a5a5a);
  const daemons = r.pick([1, 2, 3, 3, 4, 5, 5, 7, 9]);
  const personalWindow = r.pick([2, 5, 10, 20, 20, 40]);
  const links: LinkOverride[] = [];
  if (daemons > 1 && r.chance(0.3)) {
    const from = r.int(daemons);
    const to = (from + 1 + r.int(daemons - 1)) % daemons;
    links.push({ from, to, loss: r.pick([0.3, 0.5]), channel: r.pick(['data', 'token', undefined] as const) });
  }
  const blackouts: Blackout[] = [];
  if (r.chance(0.25)) blackouts.push({ atMs: r.range(1, 40), forMs: r.range(5, 60), channel: r.pick(['token', undefined] as const) });
  const stalls: Array<{ daemon: number; atMs: number; forMs: number }> = [];
  if (r.chance(0.25)) stalls.push({ daemon: r.int(daemons), atMs: r.range(1, 40), forMs: r.range(1, 50) });
  return defaultScenario(seed, {
    daemons,
    blackouts,
    stalls,
    loss: r.pick([0, 0, 0.01, 0.05, 0.1, 0.2]),
    duplicate: r.pick([0, 0, 0.01, 0.05]),
    jitterMs: r.pick([0.02, 0.1, 0.5, 2]),
    links,
    acceleratedRing: r.chance(0.5),
    window: r.pick([personalWindow, 60, 160, 400]),
    personalWindow,
    acceleratedWindow: r.int(personalWindow + 1),
    messagesPerDaemon: r.pick([10, 40, 100, 200]),
    meanIntervalMs: r.pick([0.05, 0.5, 5]),
    burst: r.pick([1, 4, 30]),
    hugePerDaemon: r.pick([0, 1, 2]),
    // drawn last, so every earlier knob of a seed stays what it was
    packetSize: r.pick([MAX_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES, LOOPBACK_DATAGRAM_BYTES]),
    ...over,
  });
}

type SimEvent =
  | { readonly kind: 'arrive'; readonly a: Arrival }
  | { readonly kind: 'turn'; readonly d: number }
  | { readonly kind: 'timer'; readonly d: number; readonly name: RingTimerName; readonly gen: number }
  | { readonly kind: 'client'; readonly d: number };

const RECENT = 48;
const EV_DATA = 1;
const EV_TOKEN = 2;
const EV_TIMER = 3;
const EV_SUBMIT = 4;
const EV_NAMES = ['', 'data', 'token', 'timer', 'submit'];

interface SimDaemon {
  readonly core: RingCore;
  readonly dataQ: Uint8Array[];
  readonly tokenQ: Uint8Array[];
  turnScheduled: boolean;
  tokenFirst: boolean;
  readonly timers: Map<RingTimerName, number>;
  timerGen: number;
  readonly rng: Rng;
  submitted: number;
  hugeLeft: number;
  readonly deliveries: DeliverRecord[];
  maxStored: number;
  maxDownQueue: number;
  maxUpQueue: number;
  steps: number;
  // recent events, circular
  readonly recentTime: Float64Array;
  readonly recentKind: Uint8Array;
  readonly recentDetail: Float64Array;
  readonly recentNote: string[];
  recentAt: number;
}

export interface RingSimStats {
  events: number;
  virtualMs: number;
  datagrams: number;
  lost: number;
  duplicated: number;
  packetsSent: number;
  retransmissions: number;
  tokenHurries: number;
  tokenHolds: number;
  heldVisitsResumed: number;
}

export class RingSim {
  readonly scenario: RingScenario;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly daemons: SimDaemon[];
  private readonly ids: number[];
  private readonly submits: SubmitRecord[] = [];
  private readonly sizes = new Map<string, SubmitRecord>();
  /** Submitted payloads not yet delivered everywhere, to compare delivered bytes with. */
  private readonly pending = new Map<string, { payload: Buffer; left: number }>();
  private readonly anomalies: string[] = [];
  private tokenLosses = 0;
  private now = 0;
  private deliveredTotal = 0;
  private events = 0;

  constructor(scenario: RingScenario) {
    this.scenario = scenario;
    this.rng = new Rng(scenario.seed);
    const config = testConfig({
      daemons: scenario.daemons,
      window: scenario.window,
      personalWindow: scenario.personalWindow,
      acceleratedRing: scenario.acceleratedRing,
      acceleratedWindow: scenario.acceleratedWindow,
      hurryMs: scenario.hurryMs,
      tokenMs: scenario.tokenMs,
      packetSize: scenario.packetSize,
    });
    this.ids = config.daemons.map((d) => d.id);
    this.net = new SimNetwork(
      this.rng,
      { loss: scenario.loss, duplicate: scenario.duplicate, baseLatencyMs: scenario.baseLatencyMs, jitterMs: scenario.jitterMs },
      scenario.links,
      scenario.blackouts,
      () => this.now,
      (delay, a) => this.queue.push(this.now + delay, { kind: 'arrive', a }),
    );
    this.daemons = this.ids.map((id) => ({
      core: RingCore.fromConfig(config, id, { trace: scenario.verbose }),
      dataQ: [],
      tokenQ: [],
      turnScheduled: false,
      tokenFirst: false,
      timers: new Map(),
      timerGen: 0,
      rng: this.rng.fork(),
      submitted: 0,
      hugeLeft: scenario.hugePerDaemon,
      deliveries: [],
      maxStored: 0,
      maxDownQueue: 0,
      maxUpQueue: 0,
      steps: 0,
      recentTime: new Float64Array(RECENT),
      recentKind: new Uint8Array(RECENT),
      recentDetail: new Float64Array(RECENT),
      recentNote: new Array<string>(RECENT).fill(''),
      recentAt: 0,
    }));
  }

  private get totalMessages(): number {
    return this.scenario.daemons * this.scenario.messagesPerDaemon;
  }

  /** Runs to completion (everything delivered and the ring idle) or to the limits. */
  run(): { trace: RingRunTrace; stats: RingSimStats } {
    const ringId = { procId: this.ids[0]!, time: 1 };
    for (let d = 0; d < this.daemons.length; d++) {
      this.apply(d, this.daemons[d]!.core.install({ ringId, members: this.ids }));
      this.queue.push(this.daemons[d]!.rng.exp(this.scenario.meanIntervalMs), { kind: 'client', d });
    }
    let finished = false;
    const sc = this.scenario;
    for (;;) {
      const next = this.queue.pop();
      if (next === undefined) break;
      if (next.time > sc.maxVirtualMs || this.events >= sc.maxEvents) break;
      this.now = next.time;
      this.events++;
      this.handle(next.event);
      if (next.event.kind === 'turn' && this.deliveredTotal === this.totalMessages * sc.daemons && this.idle()) {
        finished = true;
        break;
      }
    }
    const memory: MemoryRecord[] = this.daemons.map((x, d) => ({
      daemon: d,
      maxPacketsStored: x.maxStored,
      maxDownQueue: x.maxDownQueue,
      maxUpQueueFragments: x.maxUpQueue,
      finalPacketsStored: x.core.state.store.size,
    }));
    let packetsSent = 0;
    let retransmissions = 0;
    let tokenHurries = 0;
    let tokenHolds = 0;
    let heldVisitsResumed = 0;
    for (const x of this.daemons) {
      const c = x.core.state.counters;
      packetsSent += c.packetsSent;
      retransmissions += c.retransmissions;
      tokenHurries += c.tokenHurries;
      tokenHolds += c.tokenHolds;
      heldVisitsResumed += c.heldVisitsResumed;
    }
    return {
      trace: {
        daemons: sc.daemons,
        submits: this.submits,
        packetBodyBytes: this.daemons[0]!.core.state.params.packetBodyBytes,
        deliveries: this.daemons.map((x) => x.deliveries),
        memory,
        anomalies: this.anomalies,
        tokenLosses: this.tokenLosses,
        finished,
      },
      stats: {
        events: this.events,
        virtualMs: this.now,
        datagrams: this.net.stats.sent,
        lost: this.net.stats.lost,
        duplicated: this.net.stats.duplicated,
        packetsSent,
        retransmissions,
        tokenHurries,
        tokenHolds,
        heldVisitsResumed,
      },
    };
  }

  private idle(): boolean {
    for (const x of this.daemons) {
      const s = x.core.state;
      if (s.downQueue.length > 0 || s.store.size > 0 || s.aru !== s.highestSeq) return false;
    }
    return true;
  }

  /** End of the stall daemon `d` is in at the current time, if any. */
  private stalledUntil(d: number): number | undefined {
    for (const st of this.scenario.stalls) {
      if (st.daemon === d && this.now >= st.atMs && this.now < st.atMs + st.forMs) return st.atMs + st.forMs;
    }
    return undefined;
  }

  private handle(ev: SimEvent): void {
    if (ev.kind === 'turn' || ev.kind === 'timer' || ev.kind === 'client') {
      const until = this.stalledUntil(ev.d);
      if (until !== undefined) {
        this.queue.push(until, ev); // the daemon runs again when the stall ends
        return;
      }
    }
    switch (ev.kind) {
      case 'arrive': {
        const x = this.daemons[ev.a.to]!;
        (ev.a.channel === 'data' ? x.dataQ : x.tokenQ).push(ev.a.bytes);
        this.scheduleTurn(ev.a.to);
        return;
      }
      case 'turn':
        this.turn(ev.d);
        return;
      case 'timer': {
        const x = this.daemons[ev.d]!;
        if (x.timers.get(ev.name) !== ev.gen) return; // replaced or cancelled
        x.timers.delete(ev.name);
        this.note(ev.d, EV_TIMER, ev.name === 'HURRY' ? 1 : ev.name === 'TOKEN_LOSS' ? 2 : 3);
        this.apply(ev.d, x.core.step({ type: 'timer', name: ev.name }));
        return;
      }
      case 'client':
        this.client(ev.d);
        return;
    }
  }

  private scheduleTurn(d: number): void {
    const x = this.daemons[d]!;
    if (x.turnScheduled) return;
    x.turnScheduled = true;
    this.queue.push(this.now, { kind: 'turn', d });
  }

  /** One turn of a daemon's event loop: all queued data first, then one token (design 1.5, 11). */
  private turn(d: number): void {
    const x = this.daemons[d]!;
    x.turnScheduled = false;
    for (;;) {
      if (x.tokenFirst && x.tokenQ.length > 0) {
        this.stepToken(d);
        continue;
      }
      if (x.dataQ.length > 0) {
        const bytes = x.dataQ.shift()!;
        this.note(d, EV_DATA, bytes.length >= 28 ? (bytes[24]! << 24) | (bytes[25]! << 16) | (bytes[26]! << 8) | bytes[27]! : -1);
        this.apply(d, x.core.step({ type: 'data', bytes }));
        continue;
      }
      if (x.tokenQ.length > 0) this.stepToken(d);
      break;
    }
    if (x.dataQ.length > 0 || x.tokenQ.length > 0) this.scheduleTurn(d);
  }

  private stepToken(d: number): void {
    const x = this.daemons[d]!;
    const bytes = x.tokenQ.shift()!;
    this.note(d, EV_TOKEN, bytes.length >= 3 ? bytes[2]! : -1);
    this.apply(d, x.core.step({ type: 'token', bytes }));
  }

  private client(d: number): void {
    const x = this.daemons[d]!;
    const sc = this.scenario;
    if (x.submitted >= sc.messagesPerDaemon) return;
    const n = 1 + x.rng.int(sc.burst);
    for (let k = 0; k < n && x.submitted < sc.messagesPerDaemon; k++) {
      if (x.core.downQueueLength >= WATER_MARK) break; // the session layer stops reading clients
      const size = drawSize(x.rng, sc.mix, x.hugeLeft > 0);
      if (size > 20_000) x.hugeLeft--;
      const counter = x.submitted++;
      const service = drawService(x.rng);
      const rec: SubmitRecord = { key: `${d}:${counter}`, daemon: d, counter, time: this.now, service, size, deliveredBefore: x.deliveries.length };
      this.submits.push(rec);
      this.sizes.set(rec.key, rec);
      this.note(d, EV_SUBMIT, counter);
      const payload = makePayload(d, counter, size);
      this.pending.set(rec.key, { payload, left: sc.daemons });
      this.apply(d, x.core.step({ type: 'submit', message: { service, payload } }));
    }
    if (x.submitted < sc.messagesPerDaemon) this.queue.push(this.now + x.rng.exp(sc.meanIntervalMs), { kind: 'client', d });
  }

  private index(id: number): number {
    return this.ids.indexOf(id);
  }

  private apply(d: number, actions: RingAction[]): void {
    const x = this.daemons[d]!;
    for (const a of actions) {
      switch (a.type) {
        case 'broadcast':
          for (let e = 0; e < this.daemons.length; e++) if (e !== d) this.net.send(d, e, 'data', a.bytes);
          break;
        case 'unicast':
          this.net.send(d, this.index(a.to), 'data', a.bytes);
          break;
        case 'sendToken':
          this.net.send(d, this.index(a.to), 'token', a.bytes);
          break;
        case 'setTimer': {
          const gen = ++x.timerGen; // a later set replaces this one: the old event finds another gen
          x.timers.set(a.name, gen);
          this.queue.push(this.now + a.ms, { kind: 'timer', d, name: a.name, gen });
          break;
        }
        case 'cancelTimer':
          x.timers.delete(a.name);
          break;
        case 'deliver':
          this.recordDelivery(d, a.delivery.payload, a.delivery);
          break;
        case 'tokenLost':
          this.tokenLosses++;
          this.note(d, EV_TIMER, 99, 'TOKEN LOST');
          break;
        case 'tokenPriority':
          x.tokenFirst = a.tokenFirst;
          break;
        case 'trace':
          if (a.record.kind === 'anomaly') {
            this.anomalies.push(`t=${this.now.toFixed(3)} d${d}: ${a.record.reason}`);
            this.note(d, EV_TIMER, 0, `ANOMALY ${a.record.reason}`);
          } else if (this.scenario.verbose) {
            this.note(d, 0, 0, JSON.stringify(a.record));
          }
          break;
      }
    }
    x.steps++;
    const broken = x.core.checkInvariants(x.steps % 256 === 0);
    if (broken !== undefined) this.anomalies.push(`t=${this.now.toFixed(3)} d${d}: invariant: ${broken}`);
    const s = x.core.state;
    if (s.store.size > x.maxStored) x.maxStored = s.store.size;
    if (s.downQueue.length > x.maxDownQueue) x.maxDownQueue = s.downQueue.length;
    if (s.upQueues.size > 0) {
      let frags = 0;
      for (const q of s.upQueues.values()) frags += q.parts.length;
      if (frags > x.maxUpQueue) x.maxUpQueue = frags;
    }
  }

  private recordDelivery(d: number, payload: Uint8Array, info: RingDelivery): void {
    const x = this.daemons[d]!;
    const id = readPayloadId(payload);
    const key = id === undefined ? `?${payload.length}` : `${id.daemon}:${id.counter}`;
    const sub = this.sizes.get(key);
    const pending = this.pending.get(key);
    let payloadOk = false;
    if (pending !== undefined) {
      payloadOk = Buffer.from(payload.buffer, payload.byteOffset, payload.length).equals(pending.payload);
      if (--pending.left === 0) this.pending.delete(key);
    } else if (id !== undefined && sub !== undefined) {
      payloadOk = payloadMatches(payload, id.daemon, id.counter, sub.size); // a duplicate delivery
    }
    let heldBy: number[] | undefined;
    if (info.service === 'SAFE') {
      heldBy = [];
      for (let e = 0; e < this.daemons.length; e++) {
        const core = this.daemons[e]!.core;
        let all = true;
        for (let seq = info.firstSeq; seq <= info.seq && all; seq++) all = core.holds(seq);
        if (all) heldBy.push(e);
      }
    }
    x.deliveries.push({
      daemon: d,
      key,
      origin: id?.daemon ?? -1,
      originator: this.index(info.originator),
      time: this.now,
      service: info.service,
      size: payload.length,
      seq: info.seq,
      firstSeq: info.firstSeq,
      index: info.index,
      fragments: info.fragments,
      early: info.early,
      payloadOk,
      heldBy,
    });
    this.deliveredTotal++;
  }

  private note(d: number, kind: number, detail: number, text = ''): void {
    const x = this.daemons[d]!;
    const i = x.recentAt++ % RECENT;
    x.recentTime[i] = this.now;
    x.recentKind[i] = kind;
    x.recentDetail[i] = detail;
    x.recentNote[i] = text;
  }

  /** The last events of each daemon, oldest first, for failure reports. */
  recentEvents(): string[] {
    const lines: string[] = [];
    this.daemons.forEach((x, d) => {
      const s = x.core.status();
      lines.push(
        `d${d} (id ${s.selfId}): highestSeq ${s.highestSeq} myAru ${s.myAru} aru ${s.aru} stored ${s.packetsStored} ` +
          `downQueue ${s.downQueueLength} held ${s.tokenHeld} alive ${s.tokenAlive} delivered ${x.deliveries.length}`,
      );
      const n = Math.min(x.recentAt, RECENT);
      for (let k = x.recentAt - n; k < x.recentAt; k++) {
        const i = k % RECENT;
        const what = x.recentNote[i] !== '' ? x.recentNote[i] : `${EV_NAMES[x.recentKind[i]!]} ${x.recentDetail[i]}`;
        lines.push(`    t=${x.recentTime[i]!.toFixed(3)} ${what}`);
      }
    });
    return lines;
  }
}
