// Apply engine (design 2.9, 2.10, 2.12): runs the immer recipe for consecutive committed log
// entries, deduplicates requests, keeps the digest, and returns the state changes for the
// shell's one atomic batch. It reads through the store but never writes: the shell writes the
// returned changes together with meta/applied and the log, then calls commit().
import { enablePatches, produceWithPatches, type Draft, type Patch } from 'immer';
import { entryHash, formatDigest, parseDigest, updateDigest, type HashFn } from './digest.ts';
import { seededRandom } from './prng.ts';
import { KEY_MAX, type RsmStore } from './store.ts';
import type { AppliedEvent, Json, StateChange, StateMachine, StateMap, StateReader } from './types.ts';
import { isJson, type LogEntry } from './wire.ts';

enablePatches();

/** Reserved keys (never visible to recipes): dedup records and per-client highest seq. */
const RESERVED = '\u0000';
const recordKey = (clientId: string, seq: number): string => `${RESERVED}r/${clientId}/${seq.toString().padStart(15, '0')}`;
const maxSeqKey = (clientId: string): string => `${RESERVED}m/${clientId}`;

export type ApplyResult = { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: string; readonly stale?: true };

export interface RunResult {
  readonly state: Array<{ key: string; value: Json | undefined }>;
  /** The applied entries, with their changes and results recorded (for watches and catch-up). */
  readonly log: LogEntry[];
  readonly applied: { index: number; digest: string };
  readonly events: AppliedEvent[];
  readonly mem: StateMap | undefined;
}

export class ApplyEngine {
  private applied: number;
  private digest: bigint;
  /** Whole user state for machines without keysOf (durable version, as of the last commit()). */
  private mem: StateMap | undefined;

  private constructor(
    private readonly store: RsmStore,
    private readonly machine: StateMachine,
    private readonly hash: HashFn,
    private readonly dedupWindow: number,
    applied: number,
    digest: bigint,
    mem: StateMap | undefined,
  ) {
    this.applied = applied;
    this.digest = digest;
    this.mem = mem;
  }

  static async create(store: RsmStore, machine: StateMachine, hash: HashFn, dedupWindow: number): Promise<ApplyEngine> {
    if (await store.isFresh()) {
      // Index 0: the initial state, identical on every replica.
      const init = Object.entries(machine.initialState ?? {});
      let d = 0n;
      for (const [k, v] of init) d += entryHash(hash, k, v);
      await store.write({ state: init.map(([key, value]) => ({ key, value })), applied: { index: 0, digest: formatDigest(d), gen: 0 } });
    }
    const e = new ApplyEngine(store, machine, hash, dedupWindow, 0, 0n, undefined);
    await e.reload();
    return e;
  }

  /** Re-reads applied index, digest and (for in-memory machines) the state: after open or a snapshot install. */
  async reload(): Promise<void> {
    const a = await this.store.readApplied();
    this.applied = a.index;
    this.digest = parseDigest(a.digest);
    if (this.machine.keysOf === undefined) {
      const mem: StateMap = {};
      for (const [k, v] of await this.store.stateEntries({ gte: '', lt: KEY_MAX })) {
        if (!k.startsWith(RESERVED)) mem[k] = v;
      }
      this.mem = Object.freeze(mem);
    }
  }

  get appliedIndex(): number {
    return this.applied;
  }

  get digestHex(): string {
    return formatDigest(this.digest);
  }

  /** The whole state of an in-memory machine (undefined for keysOf machines). */
  get memState(): Readonly<StateMap> | undefined {
    return this.mem;
  }

  /** Reads a user key as of the last durable apply. */
  async get(key: string): Promise<Json | undefined> {
    if (this.mem !== undefined) return this.mem[key];
    return this.store.getState(key);
  }

  /** Looks up the dedup record of a request (applied => its result). */
  async requestResult(clientId: string, seq: number): Promise<ApplyResult | undefined> {
    const r = await this.store.getState(recordKey(clientId, seq));
    return r === undefined ? undefined : (r as unknown as ApplyResult);
  }

  /**
   * Applies `entries` (consecutive, starting at appliedIndex + 1) in memory and returns what to
   * write. The engine's applied index and digest move on at once; call commit() once written.
   */
  async run(entries: readonly LogEntry[]): Promise<RunResult> {
    const overlay = new Map<string, Json | undefined>();
    const read = async (key: string): Promise<Json | undefined> => (overlay.has(key) ? overlay.get(key) : this.store.getState(key));
    const reader: StateReader = {
      get: (key) => (key.startsWith(RESERVED) ? Promise.resolve(undefined) : read(key)),
      keys: async (range) => {
        const fromStore = await this.store.stateKeys({ gte: range.gte, lt: range.lt });
        const set = new Set(fromStore.filter((k) => !k.startsWith(RESERVED)));
        for (const [k, v] of overlay) {
          if (k >= range.gte && k < range.lt && !k.startsWith(RESERVED)) {
            if (v === undefined) set.delete(k);
            else set.add(k);
          }
        }
        const keys = [...set].sort();
        return range.limit !== undefined ? keys.slice(0, range.limit) : keys;
      },
    };
    let mem = this.mem;
    const events: AppliedEvent[] = [];
    const log: LogEntry[] = [];
    const write = (key: string, before: Json | undefined, after: Json | undefined): void => {
      overlay.set(key, after);
      this.digest = updateDigest(this.hash, this.digest, key, before, after);
    };
    for (const entry of entries) {
      if (entry.i !== this.applied + 1) throw new Error(`apply out of order: index ${entry.i} after ${this.applied}`);
      const rk = recordKey(entry.c, entry.s);
      const existing = await read(rk);
      let result: ApplyResult;
      let changes: StateChange[] = [];
      let fresh = false;
      if (existing !== undefined) {
        result = existing as unknown as ApplyResult;
      } else {
        const mk = maxSeqKey(entry.c);
        const maxSeq = ((await read(mk)) as number | undefined) ?? 0;
        if (entry.s + this.dedupWindow <= maxSeq) {
          result = { ok: false, error: `stale request ${entry.c}/${entry.s}: highest applied is ${maxSeq}`, stale: true };
        } else {
          fresh = true;
          const out = await this.applyOne(entry, reader, mem);
          result = out.result;
          changes = out.changes;
          if (out.mem !== undefined) mem = out.mem;
          for (const ch of changes) write(ch.key, ch.before, ch.after);
          write(rk, undefined, result as unknown as Json);
          if (entry.s > maxSeq) write(mk, maxSeq === 0 ? undefined : maxSeq, entry.s);
          const old = recordKey(entry.c, entry.s - this.dedupWindow);
          if (entry.s - this.dedupWindow > 0) {
            const oldValue = await read(old);
            if (oldValue !== undefined) write(old, oldValue, undefined);
          }
        }
      }
      this.applied = entry.i;
      const value = result.ok ? { ok: true as const, value: result.value } : { ok: false as const, error: result.error };
      const evResult = result.ok || result.stale !== true ? value : { ok: false as const, error: result.error, stale: true };
      events.push({ index: entry.i, command: entry.b, requestId: { clientId: entry.c, seq: entry.s }, timestamp: entry.ts, result: evResult, changes, fresh });
      log.push({ ...entry, ch: changes, r: value });
    }
    return {
      state: [...overlay].map(([key, value]) => ({ key, value })),
      log,
      applied: { index: this.applied, digest: formatDigest(this.digest) },
      events,
      mem,
    };
  }

  /** The run was written: reads may now see it. */
  commit(r: RunResult): void {
    if (r.mem !== undefined) this.mem = r.mem;
  }

  private async applyOne(
    entry: LogEntry,
    reader: StateReader,
    mem: StateMap | undefined,
  ): Promise<{ result: ApplyResult; changes: StateChange[]; mem?: StateMap }> {
    let base: StateMap;
    let declared: Set<string> | undefined;
    try {
      if (this.machine.keysOf !== undefined) {
        const keys = await this.machine.keysOf(entry.b, reader);
        declared = new Set(keys);
        base = {};
        for (const k of declared) {
          if (k.startsWith(RESERVED)) throw new Error(`key ${JSON.stringify(k)} is reserved`);
          const v = await reader.get(k);
          if (v !== undefined) base[k] = v;
        }
      } else {
        base = mem ?? {};
      }
    } catch (err) {
      return { result: { ok: false, error: errorText(err) }, changes: [] };
    }
    const ctx = { index: entry.i, timestamp: entry.ts, clientId: entry.c, seq: entry.s, random: seededRandom(entry.i) };
    let next: StateMap;
    let patches: Patch[];
    let value: unknown;
    try {
      [next, patches] = produceWithPatches(base, (draft: Draft<StateMap>) => {
        // Copied while the draft is alive: a result must not hold a draft proxy.
        const r: unknown = this.machine.apply(draft, entry.b, ctx);
        value = r === undefined ? null : JSON.parse(JSON.stringify(r));
      });
    } catch (err) {
      return { result: { ok: false, error: errorText(err) }, changes: [] };
    }
    if (!isJson(value)) return { result: { ok: false, error: 'recipe returned a value that is not JSON' }, changes: [] };
    const touched = new Set<string>();
    for (const p of patches) {
      const k = String(p.path[0]);
      if (p.path.length === 0 || k.startsWith(RESERVED)) return { result: { ok: false, error: 'recipe replaced the whole state or a reserved key' }, changes: [] };
      touched.add(k);
    }
    const changes: StateChange[] = [];
    for (const k of touched) {
      if (declared !== undefined && !declared.has(k)) return { result: { ok: false, error: `recipe wrote undeclared key ${JSON.stringify(k)}` }, changes: [] };
      const before = base[k];
      const after = next[k];
      if (after !== undefined && !isJson(after)) return { result: { ok: false, error: `value of ${JSON.stringify(k)} is not JSON` }, changes: [] };
      changes.push({ key: k, before, after });
    }
    return { result: { ok: true, value }, changes, mem: declared === undefined ? next : undefined };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
