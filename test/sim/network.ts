// The simulated network: per-datagram latency, loss and duplication, per-link overrides.
// Independent latencies reorder datagrams. Every receiver gets its own copy of the bytes, as
// with real sockets (a daemon rewrites the transmitter field of its copy when it retransmits).
import type { Rng } from './rng.ts';

export type Channel = 'data' | 'token';

export interface LinkModel {
  /** Probability that a datagram is lost. */
  readonly loss: number;
  /** Probability that a datagram arrives twice. */
  readonly duplicate: number;
  /** Fixed part of the one-way latency, ms. */
  readonly baseLatencyMs: number;
  /** Mean of the exponential extra latency, ms. */
  readonly jitterMs: number;
}

export interface LinkOverride extends Partial<LinkModel> {
  readonly from: number;
  readonly to: number;
  /** Only this channel (default both). */
  readonly channel?: Channel;
}

/** Every datagram of `channel` (default both) is lost in [atMs, atMs + forMs). */
export interface Blackout {
  readonly atMs: number;
  readonly forMs: number;
  readonly channel?: Channel;
}

export interface Arrival {
  readonly to: number;
  readonly from: number;
  readonly channel: Channel;
  readonly bytes: Uint8Array;
}

export interface NetworkStats {
  sent: number;
  lost: number;
  duplicated: number;
}

export class SimNetwork {
  readonly stats: NetworkStats = { sent: 0, lost: 0, duplicated: 0 };

  constructor(
    private readonly rng: Rng,
    private readonly model: LinkModel,
    private readonly overrides: ReadonlyArray<LinkOverride>,
    private readonly blackouts: ReadonlyArray<Blackout>,
    private readonly now: () => number,
    private readonly schedule: (delayMs: number, a: Arrival) => void,
    /** From this time on the network no longer loses or duplicates (faults stop). */
    private readonly quietAfterMs = Infinity,
  ) {}

  private blackedOut(channel: Channel): boolean {
    const t = this.now();
    for (const b of this.blackouts) {
      if (t >= b.atMs && t < b.atMs + b.forMs && (b.channel === undefined || b.channel === channel)) return true;
    }
    return false;
  }

  private link(from: number, to: number, channel: Channel): LinkModel {
    let m = this.model;
    for (const o of this.overrides) {
      if (o.from === from && o.to === to && (o.channel === undefined || o.channel === channel)) m = { ...m, ...o };
    }
    return m;
  }

  send(from: number, to: number, channel: Channel, bytes: Uint8Array): void {
    this.stats.sent++;
    const m = this.link(from, to, channel);
    const noisy = this.now() < this.quietAfterMs;
    if (this.blackedOut(channel) || (noisy && this.rng.chance(m.loss))) {
      this.stats.lost++;
      return;
    }
    const copies = noisy && this.rng.chance(m.duplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let k = 0; k < copies; k++) {
      const delay = m.baseLatencyMs + this.rng.exp(m.jitterMs);
      this.schedule(delay, { to, from, channel, bytes: new Uint8Array(bytes) });
    }
  }
}
