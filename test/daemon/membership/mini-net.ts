// A small deterministic network of ring cores for membership unit tests: a virtual clock, a
// fixed latency, named timers, data before tokens, and a filter to lose chosen datagrams. Every
// action of every core is kept for assertions.
import type { MembershipTimeouts } from '../../../daemon/config/model.ts';
import { RingCore, type RingAction, type RingEvent, type RingParamOverrides, type RingTimerName, type RingUpcall } from '../../../daemon/ring/index.ts';
import { EventQueue } from '../../sim/event-queue.ts';
import { testConfig } from '../../sim/config.ts';

export const TIMEOUTS: MembershipTimeouts = { tokenMs: 50, hurryMs: 20, aliveMs: 10, joinMs: 10, repMs: 25, segMs: 20, gatherMs: 50, formMs: 50, lookupMs: 600 };

type Ev =
  | { kind: 'arrive'; to: number; from: number; channel: 'data' | 'token'; bytes: Uint8Array }
  | { kind: 'timer'; d: number; name: RingTimerName; gen: number };

export interface Datagram {
  readonly from: number;
  readonly to: number;
  readonly channel: 'data' | 'token';
  readonly bytes: Uint8Array;
}

export class MiniNet {
  readonly ids: number[];
  readonly cores: RingCore[];
  readonly upcalls: RingUpcall[][];
  readonly actions: RingAction[][];
  readonly anomalies: string[] = [];
  now = 0;
  /** Return false to lose a datagram. */
  pass: (d: Datagram) => boolean = () => true;
  private readonly queue = new EventQueue<Ev>();
  private readonly timers: Array<Map<RingTimerName, number>>;
  /** Daemons not started do not exist on the network yet. */
  private readonly started = new Set<number>();
  private gen = 0;

  constructor(n: number, overrides: RingParamOverrides = {}) {
    const config = testConfig({ daemons: n });
    this.ids = config.daemons.map((d) => d.id);
    this.cores = this.ids.map((id) => RingCore.fromConfig(config, id, { timeouts: TIMEOUTS, clock: () => Math.floor(this.now), ...overrides }));
    this.upcalls = this.ids.map(() => []);
    this.actions = this.ids.map(() => []);
    this.timers = this.ids.map(() => new Map());
  }

  step(d: number, e: RingEvent): RingAction[] {
    if (e.type === 'start') this.started.add(d);
    const acts = this.cores[d]!.step(e);
    this.apply(d, acts);
    return acts;
  }

  apply(d: number, acts: RingAction[]): void {
    for (const a of acts) {
      this.actions[d]!.push(a);
      switch (a.type) {
        case 'broadcast':
          for (let e = 0; e < this.ids.length; e++) if (e !== d) this.send(d, e, 'data', a.bytes);
          break;
        case 'unicast':
          this.send(d, this.ids.indexOf(a.to), 'data', a.bytes);
          break;
        case 'sendToken':
          this.send(d, this.ids.indexOf(a.to), 'token', a.bytes);
          break;
        case 'setTimer': {
          const gen = ++this.gen;
          this.timers[d]!.set(a.name, gen);
          this.queue.push(this.now + a.ms, { kind: 'timer', d, name: a.name, gen });
          break;
        }
        case 'cancelTimer':
          this.timers[d]!.delete(a.name);
          break;
        case 'deliver':
          this.upcalls[d]!.push(a.delivery);
          break;
        case 'transitional':
        case 'regular':
          this.upcalls[d]!.push(a);
          break;
        case 'trace':
          if (a.record.kind === 'anomaly') this.anomalies.push(`d${d}: ${a.record.reason}`);
          break;
        default:
          break;
      }
    }
    const broken = this.cores[d]!.checkInvariants(true);
    if (broken !== undefined) this.anomalies.push(`d${d}: invariant: ${broken}`);
  }

  private send(from: number, to: number, channel: 'data' | 'token', bytes: Uint8Array): void {
    if (!this.pass({ from, to, channel, bytes })) return;
    this.queue.push(this.now + (channel === 'data' ? 0.1 : 0.11), { kind: 'arrive', to, from, channel, bytes: Uint8Array.from(bytes) });
  }

  pendingTimer(d: number, name: RingTimerName): boolean {
    return this.timers[d]!.has(name);
  }

  /** Runs until `until` (virtual ms) or until `stop` holds. */
  run(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      if (stop()) return;
      const e = this.queue.pop();
      if (e === undefined) return;
      if (e.time > until) {
        this.queue.push(e.time, e.event);
        this.now = until;
        return;
      }
      this.now = e.time;
      const ev = e.event;
      if (ev.kind === 'arrive') {
        if (this.started.has(ev.to)) this.step(ev.to, { type: ev.channel, bytes: ev.bytes });
      }
      else if (this.timers[ev.d]!.get(ev.name) === ev.gen) {
        this.timers[ev.d]!.delete(ev.name);
        this.step(ev.d, { type: 'timer', name: ev.name });
      }
    }
  }

  /** Every core is in OP in one ring of these members (indices). */
  inOneRing(members: number[]): boolean {
    const want = members.map((i) => this.ids[i]!).join(',');
    const ring = this.cores[members[0]!]!.state.ring.ringId;
    return members.every((i) => {
      const s = this.cores[i]!.state;
      return s.memberState === 'OP' && s.tokenAlive && s.ring.members.join(',') === want && s.ring.ringId.time === ring.time && s.ring.ringId.procId === ring.procId;
    });
  }
}
