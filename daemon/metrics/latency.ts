// Delivery latency at the daemon that received a message: from the moment the session layer
// has read a client's data message to the moment the ordered message is handed to the local
// sessions (its order, token wait and stability included; the socket write to receivers is
// not). Only local senders can be measured, so only they are.
//
// Messages of one sender are delivered at its daemon in the order they were read, so counting
// per sender pairs the n-th delivery with the n-th message sent. Every message costs a Map
// lookup and two integer increments; only one in `sampleEvery` is timed and observed.
// (A sender mixing Reliable with Agreed or Safe messages can have one overtake another: the
// pairing is then approximate, never unbounded.)

export interface DeliveryLatencyProbe {
  /** A client data message read from the session named `sender` (its private group), going down. */
  sent(sender: string): void;
  /** An ordered data message of `sender` handed to the sessions. */
  delivered(sender: string): void;
  /** The session's KILL was delivered: nothing more of it will come (keeps the map bounded). */
  forget(sender: string): void;
}

export interface DeliveryLatencyOptions {
  /** Seconds, from any origin (performance.now() / 1000 in the daemon; a fake clock in tests). */
  readonly now: () => number;
  /** Receives each sampled latency in seconds. */
  readonly observe: (seconds: number) => void;
  /** Time one message in this many (default 16; 1 times every message). */
  readonly sampleEvery?: number;
  /** Timed messages one sender may have in flight; beyond it sampling pauses (default 1024). */
  readonly maxPendingSamples?: number;
}

interface SenderTrack {
  sent: number;
  delivered: number;
  /** Flat [index, time, index, time, ...] of the timed messages not yet delivered. */
  samples: number[];
  head: number;
}

export class DeliveryLatency implements DeliveryLatencyProbe {
  private readonly senders = new Map<string, SenderTrack>();
  private readonly every: number;
  private readonly maxPending: number;

  constructor(private readonly opts: DeliveryLatencyOptions) {
    this.every = Math.max(1, Math.floor(opts.sampleEvery ?? 16));
    this.maxPending = opts.maxPendingSamples ?? 1024;
  }

  /** Senders being followed (for tests and bounds). */
  get trackedSenders(): number {
    return this.senders.size;
  }

  sent(sender: string): void {
    let t = this.senders.get(sender);
    if (t === undefined) {
      t = { sent: 0, delivered: 0, samples: [], head: 0 };
      this.senders.set(sender, t);
    }
    const index = t.sent++;
    if (index % this.every === 0 && t.samples.length - t.head < 2 * this.maxPending) t.samples.push(index, this.opts.now());
  }

  delivered(sender: string): void {
    const t = this.senders.get(sender);
    if (t === undefined) return;
    const index = t.delivered++;
    if (t.head < t.samples.length && t.samples[t.head] === index) {
      this.opts.observe(Math.max(0, this.opts.now() - t.samples[t.head + 1]!));
      t.head += 2;
      if (t.head === t.samples.length) {
        t.samples.length = 0;
        t.head = 0;
      }
    }
  }

  forget(sender: string): void {
    this.senders.delete(sender);
  }
}
