// State transfer rules (design 2.8) [core]: which donor serves a laggard, and the receiver's
// checks on what arrives (order, completeness, digest). The hash is injected.
import { entryHash, formatDigest, type HashFn } from './digest.ts';
import { SnapshotCorruptError } from './errors.ts';
import type { Decision } from './exchange.ts';
import type { LogEntry, RsmMessage } from './wire.ts';

/**
 * Donor for laggard `me`: the up-to-date members (applied >= the chosen list's applied index),
 * sorted by name, indexed by the laggard's rank to spread the load; `attempt` moves on to the
 * next donor after a failed transfer.
 */
export function chooseDonor(d: Decision, me: string, attempt: number): string | undefined {
  const donors = d.donors.filter((m) => m !== me);
  if (donors.length === 0) return undefined;
  const rank = Math.max(0, d.laggards.indexOf(me));
  return donors[(rank + attempt) % donors.length];
}

type Chunk = Extract<RsmMessage, { k: 'xchunk' }>;

export type ReceiveStep =
  | { readonly kind: 'more' }
  | { readonly kind: 'done'; readonly mode: 'snap'; readonly end: { index: number; digest: string } }
  | { readonly kind: 'done'; readonly mode: 'log'; readonly log: readonly LogEntry[]; readonly end: { index: number; digest: string } }
  | { readonly kind: 'error'; readonly error: SnapshotCorruptError };

/** Checks one incoming transfer, chunk by chunk. */
export class SnapshotReceiver {
  mode: 'log' | 'snap' | undefined;
  bytes = 0;
  private nextQ = 0;
  private digest = 0n;
  private readonly log: LogEntry[] = [];
  private nextIndex: number;

  constructor(
    readonly id: string,
    readonly donor: string,
    private readonly hash: HashFn,
    from: number,
  ) {
    this.nextIndex = from;
  }

  accept(c: Chunk): ReceiveStep {
    if (c.q !== this.nextQ) return this.fail(`chunk ${c.q} arrived, expected ${this.nextQ}`);
    this.nextQ++;
    if (this.mode === undefined) this.mode = c.mode;
    if (c.mode !== this.mode) return this.fail('transfer changed mode');
    if (c.mode === 'log') {
      for (const e of c.log ?? []) {
        if (e.i !== this.nextIndex) return this.fail(`log entry ${e.i} arrived, expected ${this.nextIndex}`);
        this.nextIndex++;
        this.log.push(e);
        this.bytes += JSON.stringify(e).length;
      }
      if (c.end === undefined) return { kind: 'more' };
      if (c.end.index !== this.nextIndex - 1) return this.fail(`log tail ends at ${this.nextIndex - 1}, donor says ${c.end.index}`);
      return { kind: 'done', mode: 'log', log: this.log, end: c.end };
    }
    for (const [k, v] of c.kv ?? []) {
      this.digest += entryHash(this.hash, k, v);
      this.bytes += k.length + JSON.stringify(v).length;
    }
    if (c.end === undefined) return { kind: 'more' };
    const got = formatDigest(this.digest);
    if (got !== c.end.digest) return this.fail(`snapshot at index ${c.end.index} has digest ${got}, donor advertised ${c.end.digest}`);
    return { kind: 'done', mode: 'snap', end: c.end };
  }

  private fail(msg: string): ReceiveStep {
    return { kind: 'error', error: new SnapshotCorruptError(`transfer ${this.id} from ${this.donor}: ${msg}`) };
  }
}
