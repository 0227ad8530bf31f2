// Jepsen-style clients for the fault tests (design 5.2 B, 5.3): each client loops over per-key
// registers (write, linearizable read, compare-and-set), recorded into one history for the
// linearizability checker, and puts unique "ack" keys whose acknowledged puts must all survive.
// Definite refusals (NotPrimaryError, NotAppliedError) are recorded as failures; any other error,
// including a replica process that died with the request, leaves the outcome unknown (info).
import { checkHistory, HistoryRecorder, type CheckResult } from '../linearizability.ts';
import type { KvReplica } from './kv-replica.ts';

/** Errors after which the command certainly was not applied. */
const DEFINITE = new Set(['NotPrimaryError', 'NotAppliedError']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds; throws after `ms` with `what()` in the message. */
export async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what()}`);
    await sleep(20);
  }
}

type Outcome<T> = { readonly done: true; readonly r: T } | { readonly done: false };

export interface WorkloadOptions {
  /** Number of concurrent clients (history process ids 0..clients-1). */
  readonly clients: number;
  /** Number of register keys. */
  readonly keys: number;
  /** Key prefix of this run. */
  readonly prefix: string;
  /** The replica client `c` talks to now (undefined: it waits). */
  readonly route: (client: number) => KvReplica | undefined;
}

/** One acknowledged write: which replica acknowledged it and when (history clock). */
export interface Ack {
  readonly replica: string;
  readonly time: number;
}

export class FaultWorkload {
  private readonly t0 = performance.now();
  readonly now = (): number => performance.now() - this.t0;
  readonly history = new HistoryRecorder(this.now);
  /** Ack keys whose put was acknowledged. */
  readonly acked = new Set<string>();
  /** Every acknowledged write, compare-and-set or ack put. */
  readonly acks: Ack[] = [];
  /** Errors seen, by class name. */
  readonly errors = new Map<string, number>();
  private stopped = true;
  private loops: Promise<void>[] = [];

  constructor(private readonly o: WorkloadOptions) {}

  get registerKeys(): string[] {
    return Array.from({ length: this.o.keys }, (_, k) => `${this.o.prefix}reg/${k}`);
  }

  get ackPrefix(): string {
    return `${this.o.prefix}ack/`;
  }

  start(): void {
    this.stopped = false;
    this.loops = Array.from({ length: this.o.clients }, (_, c) => this.client(c));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  /** Resolves once `n` more writes have been acknowledged (by replicas passing `by`). */
  async moreAcks(n: number, ms: number, by: (replica: string) => boolean = () => true): Promise<void> {
    const count = (): number => this.acks.filter((a) => by(a.replica)).length;
    const want = count() + n;
    await until(() => count() >= want, ms, () => `${count()} of ${want} acknowledgements; errors ${JSON.stringify([...this.errors])}`);
  }

  /** Resolves once `n` more errors of class `name` have been seen. */
  async moreErrors(name: string, n: number, ms: number): Promise<void> {
    const count = (): number => this.errors.get(name) ?? 0;
    const want = count() + n;
    await until(() => count() >= want, ms, () => `${count()} of ${want} ${name}s; errors ${JSON.stringify([...this.errors])}`);
  }

  private fault(err: unknown): void {
    const name = (err as Error).name ?? 'Error';
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
  }

  /** `op`, with its error (if any) counted in `errors`. */
  private async counted<T>(op: Promise<T>): Promise<T> {
    try {
      return await op;
    } catch (err) {
      this.fault(err);
      throw err;
    }
  }

  /** Runs `op`: a definite refusal becomes { done: false }; other errors propagate (unknown outcome). */
  private async definitely<T>(op: Promise<T>): Promise<Outcome<T>> {
    try {
      return { done: true, r: await this.counted(op) };
    } catch (err) {
      if (DEFINITE.has((err as Error).name)) return { done: false };
      throw err;
    }
  }

  private ack(kv: KvReplica): void {
    this.acks.push({ replica: kv.id, time: this.now() });
  }

  private async client(c: number): Promise<void> {
    let rng = c * 7919 + 17;
    const random = (): number => {
      rng = (rng * 1103515245 + 12345) % 2147483648;
      return rng / 2147483648;
    };
    const keys = this.registerKeys;
    for (let n = 0; !this.stopped; n++) {
      const kv = this.o.route(c);
      if (kv === undefined || !kv.running) {
        await sleep(50);
        continue;
      }
      const key = keys[Math.floor(random() * keys.length)]!;
      const roll = random();
      const value = `c${c}-${n}`;
      const h = this.history;
      let ok = true;
      try {
        if (roll < 0.35) {
          const r = await h.run(c, 'write', key, value, () => this.definitely(kv.put(key, value)), (x) => (x.done ? undefined : 'fail'));
          ok = r?.done === true;
          if (ok) this.ack(kv);
        } else if (roll < 0.65) {
          const r = await h.run(c, 'read', key, undefined, () => this.definitely(kv.get(key)), (x) => (x.done ? x.r.value : 'fail'));
          ok = r?.done === true;
        } else if (roll < 0.8) {
          // Guess the current value from a local read (not part of the history).
          const expect = (await this.counted(kv.get(key, 'local'))).value;
          const r = await h.run(c, 'cas', key, [expect, value], () => this.definitely(kv.cas(key, expect, value)), (x) => (x.done ? x.r.ok : 'fail'));
          ok = r?.done === true;
          if (ok) this.ack(kv);
        } else {
          const ackKey = `${this.ackPrefix}${c}/${n}`;
          await this.counted(kv.put(ackKey, value));
          this.acked.add(ackKey);
          this.ack(kv);
        }
      } catch {
        ok = false; // counted in errors
      }
      await sleep(ok ? 10 : 50);
    }
  }

  /** Linearizable reads of every register through each replica, recorded after the clients' history. */
  async finalReads(replicas: readonly KvReplica[]): Promise<void> {
    await Promise.all(
      replicas.map(async (kv, i) => {
        for (const key of this.registerKeys) await this.history.run(this.o.clients + i, 'read', key, undefined, () => kv.get(key), (x) => x.value);
      }),
    );
  }

  /** Ack keys acknowledged but missing on `kv` (read with the given consistency). */
  async missingAcks(kv: KvReplica): Promise<string[]> {
    const present = new Set((await kv.keys(this.ackPrefix, 'local')).keys);
    return [...this.acked].filter((k) => !present.has(k));
  }

  check(): CheckResult {
    return checkHistory(this.history.events);
  }
}
