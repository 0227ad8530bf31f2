// A hand-driven network of ring cores for rule-level tests: datagrams wait in a list until the
// test lets them through (in order, or picked, or dropped). No clock: timers are fired by hand.
import { RingCore, type RingParamOverrides, type RingAction, type RingDelivery, type RingService, type RingTimerName } from '../../../daemon/ring/index.ts';
import { decodeDataPacket, decodeToken, DatagramKind, type Token } from '../../../daemon/wire/index.ts';
import { testConfig, type TestConfigOptions } from '../../sim/config.ts';

export interface InFlight {
  readonly from: number;
  readonly to: number;
  readonly channel: 'data' | 'token';
  readonly bytes: Uint8Array;
}

export class Harness {
  readonly cores: RingCore[];
  readonly ids: number[];
  inflight: InFlight[] = [];
  readonly delivered: RingDelivery[][];
  readonly timers: Array<Map<RingTimerName, number>>;
  readonly anomalies: string[] = [];
  private steps = 0;
  readonly tokensLost: number[] = [];
  readonly tokenFirst: boolean[];
  /** Every action, per daemon, in order. */
  readonly log: RingAction[][];

  constructor(n: number, options: Omit<TestConfigOptions, 'daemons'> = {}, overrides: RingParamOverrides = {}) {
    const config = testConfig({ daemons: n, ...options });
    this.ids = config.daemons.map((d) => d.id);
    this.cores = this.ids.map((id) => RingCore.fromConfig(config, id, { trace: true, ...overrides }));
    this.delivered = this.ids.map(() => []);
    this.timers = this.ids.map(() => new Map());
    this.tokenFirst = this.ids.map(() => false);
    this.log = this.ids.map(() => []);
  }

  index(id: number): number {
    const i = this.ids.indexOf(id);
    if (i < 0) throw new Error(`unknown daemon ${id}`);
    return i;
  }

  apply(i: number, actions: RingAction[]): RingAction[] {
    // full store scans on every step would make large tests quadratic
    const broken = this.cores[i]!.checkInvariants(++this.steps % 16 === 0);
    if (broken !== undefined) this.anomalies.push(`d${i}: invariant: ${broken}`);
    for (const a of actions) {
      this.log[i]!.push(a);
      switch (a.type) {
        case 'broadcast':
          for (let j = 0; j < this.ids.length; j++) {
            if (j !== i) this.inflight.push({ from: i, to: j, channel: 'data', bytes: Uint8Array.from(a.bytes) });
          }
          break;
        case 'unicast':
          this.inflight.push({ from: i, to: this.index(a.to), channel: 'data', bytes: Uint8Array.from(a.bytes) });
          break;
        case 'sendToken':
          this.inflight.push({ from: i, to: this.index(a.to), channel: 'token', bytes: Uint8Array.from(a.bytes) });
          break;
        case 'setTimer':
          this.timers[i]!.set(a.name, a.ms);
          break;
        case 'cancelTimer':
          this.timers[i]!.delete(a.name);
          break;
        case 'deliver':
          this.delivered[i]!.push(a.delivery);
          break;
        case 'tokenLost':
          this.tokensLost.push(i);
          break;
        case 'tokenPriority':
          this.tokenFirst[i] = a.tokenFirst;
          break;
        case 'trace':
          if (a.record.kind === 'anomaly') this.anomalies.push(`d${i}: ${a.record.reason}`);
          break;
      }
    }
    return actions;
  }

  install(time = 1): void {
    for (let i = 0; i < this.ids.length; i++) {
      this.apply(i, this.cores[i]!.install({ ringId: { procId: this.ids[0]!, time }, members: this.ids }));
    }
  }

  submit(i: number, service: RingService, payload: Uint8Array | string): RingAction[] {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return this.apply(i, this.cores[i]!.step({ type: 'submit', message: { service, payload: bytes } }));
  }

  fire(i: number, name: RingTimerName): RingAction[] {
    this.timers[i]!.delete(name);
    return this.apply(i, this.cores[i]!.step({ type: 'timer', name }));
  }

  /** Lets one in-flight datagram through. */
  pass(m: InFlight): RingAction[] {
    this.inflight = this.inflight.filter((x) => x !== m);
    return this.apply(m.to, this.cores[m.to]!.step({ type: m.channel, bytes: m.bytes }));
  }

  drop(pred: (m: InFlight) => boolean): InFlight[] {
    const gone = this.inflight.filter(pred);
    this.inflight = this.inflight.filter((m) => !pred(m));
    return gone;
  }

  /** Delivers everything in flight, data before tokens, until quiet or `maxSteps`. */
  run(maxSteps = 10_000, keep: (m: InFlight) => boolean = () => true): number {
    let steps = 0;
    while (this.inflight.length > 0 && steps < maxSteps) {
      const m = this.inflight.find((x) => x.channel === 'data') ?? this.inflight[0]!;
      if (keep(m)) this.pass(m);
      else this.drop((x) => x === m);
      steps++;
    }
    return steps;
  }

  /**
   * Passes datagrams (data first) until the next token to pass is addressed to daemon `i`, and
   * returns it without passing it. A held token is released by firing the leader's HURRY timer.
   */
  runUntilTokenFor(i: number, maxSteps = 10_000): InFlight {
    for (let steps = 0; steps < maxSteps; steps++) {
      const data = this.inflight.find((x) => x.channel === 'data');
      if (data !== undefined) {
        this.pass(data);
        continue;
      }
      const token = this.inflight.find((x) => x.channel === 'token');
      if (token === undefined) {
        this.fire(0, 'HURRY');
        continue;
      }
      if (token.to === i) return token;
      this.pass(token);
    }
    throw new Error(`no token reached d${i} within ${maxSteps} steps`);
  }

  /** Token datagrams in flight, decoded. */
  tokensInFlight(): Array<{ m: InFlight; t: Token }> {
    const r: Array<{ m: InFlight; t: Token }> = [];
    for (const m of this.inflight) {
      if (m.channel !== 'token' || m.bytes[1] !== DatagramKind.TOKEN) continue;
      const t = decodeToken(m.bytes);
      if (typeof t !== 'string') r.push({ m, t });
    }
    return r;
  }

  dataInFlight(): Array<{ m: InFlight; seq: number }> {
    const r: Array<{ m: InFlight; seq: number }> = [];
    for (const m of this.inflight) {
      if (m.channel !== 'data' || m.bytes[1] !== DatagramKind.DATA) continue;
      const p = decodeDataPacket(m.bytes);
      if (typeof p !== 'string') r.push({ m, seq: p.seq });
    }
    return r;
  }

  payloads(i: number): string[] {
    return this.delivered[i]!.map((d) => Buffer.from(d.payload).toString());
  }
}
