// Replicated KV store on the RSM (design section 3) [shell]: the API, per-call read consistency,
// watches as RxJS Observables, and the TTL janitor.
import { Observable } from 'rxjs';
import { Rsm, type ReadConsistency, type RequestId, type RsmOptions, type RsmStatus, type StateView, type Json, type AppliedEvent } from '../rsm/index.ts';
import { DATA, dataKey, kvMachine, TTL, type KvCommand, type KvGuardCommand, type KvOpCommand, type StoredEntry } from './commands.ts';

const TOP = '\u{10ffff}';

export interface KvEntry {
  readonly key: string;
  readonly value: Uint8Array;
  readonly createIndex: number;
  readonly modIndex: number;
  readonly version: number;
  readonly expiresAt?: number;
}

export interface ReadMeta {
  readonly index: number;
  readonly stale: boolean;
}

export interface KvReadOptions {
  readonly consistency?: ReadConsistency;
  readonly minIndex?: number;
}

export interface KvWriteOptions {
  readonly requestId?: RequestId;
  readonly service?: 'safe' | 'agreed';
  readonly timeoutMs?: number;
}

export type KvOp =
  | { readonly op: 'put'; readonly key: string; readonly value: Uint8Array; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'deleteRange'; readonly prefix: string };
export type KvGuard = { readonly key: string; readonly modIndex: number } | { readonly key: string; readonly absent: true };

export type KvEvent =
  | { readonly type: 'put' | 'delete' | 'expire'; readonly key: string; readonly entry?: KvEntry; readonly prev?: KvEntry; readonly index: number }
  | { readonly type: 'progress'; readonly index: number }
  | { readonly type: 'resync'; readonly index: number };

export interface KvStoreOptions extends Omit<RsmOptions, 'group'> {
  readonly group?: string;
  /** Largest value accepted (default 32 KiB). */
  readonly maxValueBytes?: number;
  /** How often the janitor (lowest-named primary member) expires TTL'd keys; 0 = never (default 1000 ms). */
  readonly janitorIntervalMs?: number;
}

const toB64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function toEntry(key: string, e: StoredEntry): KvEntry {
  return { key, value: fromB64(e.v), createIndex: e.ci, modIndex: e.mi, version: e.ver, ...(e.exp !== undefined ? { expiresAt: e.exp } : {}) };
}

function entryOrUndefined(key: string, j: Json | undefined): KvEntry | undefined {
  return j === undefined || j === null ? undefined : toEntry(key, j as unknown as StoredEntry);
}

export class KvStore {
  private janitor: NodeJS.Timeout | undefined;
  private readonly clock: () => number;

  private constructor(
    /** The underlying replicated state machine. */
    readonly rsm: Rsm,
    opts: KvStoreOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    const every = opts.janitorIntervalMs ?? 1000;
    if (every > 0) {
      this.janitor = setInterval(() => void this.expireTick().catch(() => undefined), every);
      this.janitor.unref();
    }
  }

  static async open(opts: KvStoreOptions): Promise<KvStore> {
    const machine = kvMachine(opts.maxValueBytes ?? 32 * 1024);
    const rsm = await Rsm.open(machine, { ...opts, group: opts.group ?? 'kv' });
    return new KvStore(rsm, opts);
  }

  status(): RsmStatus {
    return this.rsm.status;
  }

  // ---------------------------------------------------------------- reads

  async get(key: string, o: KvReadOptions = {}): Promise<{ entry?: KvEntry } & ReadMeta> {
    const now = this.clock();
    const r = await this.rsm.read(async (v: StateView) => v.get(dataKey(key)), { consistency: o.consistency ?? 'linearizable', minIndex: o.minIndex });
    const entry = entryOrUndefined(key, r.value);
    // Read-side TTL filter: hide entries whose expiry has passed on this clock (design 3.4).
    const live = entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > now) ? entry : undefined;
    return { ...(live !== undefined ? { entry: live } : {}), index: r.index, stale: r.stale };
  }

  async range(
    q: { prefix?: string; gte?: string; lt?: string; limit?: number; reverse?: boolean },
    o: KvReadOptions = {},
  ): Promise<{ entries: KvEntry[]; more: boolean } & ReadMeta> {
    const gte = dataKey(q.gte ?? q.prefix ?? '');
    const lt = q.lt !== undefined ? dataKey(q.lt) : dataKey(q.prefix ?? '') + TOP;
    const limit = q.limit;
    const now = this.clock();
    const r = await this.rsm.read((v: StateView) => v.range({ gte, lt, reverse: q.reverse, ...(limit !== undefined ? { limit: limit + 1 } : {}) }), {
      consistency: o.consistency ?? 'linearizable',
      minIndex: o.minIndex,
    });
    const all = r.value
      .map(([k, j]) => toEntry(k.slice(DATA.length), j as unknown as StoredEntry))
      .filter((e) => e.expiresAt === undefined || e.expiresAt > now);
    const more = limit !== undefined && r.value.length > limit;
    return { entries: limit !== undefined ? all.slice(0, limit) : all, more, index: r.index, stale: r.stale };
  }

  // ---------------------------------------------------------------- writes

  private async submit(c: KvCommand, o: KvWriteOptions): Promise<{ result: Record<string, Json>; index: number }> {
    const r = await this.rsm.submit(c as unknown as Json, o);
    return { result: r.result as Record<string, Json>, index: r.index };
  }

  private exp(ttlMs: number | undefined): number | undefined {
    return ttlMs === undefined ? undefined : this.clock() + ttlMs;
  }

  async put(key: string, value: Uint8Array, o: KvWriteOptions & { ttlMs?: number; ifModIndex?: number } = {}): Promise<{ ok: boolean; index: number; prev?: KvEntry; current?: KvEntry }> {
    const exp = this.exp(o.ttlMs);
    const c: KvCommand = { t: 'put', k: key, v: toB64(value), ...(exp !== undefined ? { exp } : {}), ...(o.ifModIndex !== undefined ? { ifMod: o.ifModIndex } : {}) };
    const { result, index } = await this.submit(c, o);
    const prev = entryOrUndefined(key, result.prev);
    const current = entryOrUndefined(key, result.current);
    return { ok: result.ok === true, index, ...(prev ? { prev } : {}), ...(current ? { current } : {}) };
  }

  async delete(key: string, o: KvWriteOptions & { ifModIndex?: number } = {}): Promise<{ ok: boolean; index: number; deleted: boolean; prev?: KvEntry }> {
    const { result, index } = await this.submit({ t: 'del', k: key, ...(o.ifModIndex !== undefined ? { ifMod: o.ifModIndex } : {}) }, o);
    const prev = entryOrUndefined(key, result.prev);
    return { ok: result.ok === true, index, deleted: result.deleted === true, ...(prev ? { prev } : {}) };
  }

  async deleteRange(prefix: string, o: KvWriteOptions = {}): Promise<{ index: number; deleted: number }> {
    const { result, index } = await this.submit({ t: 'delr', p: prefix }, o);
    return { index, deleted: result.deleted as number };
  }

  async compareAndSet(
    key: string,
    expect: { modIndex: number } | { value: Uint8Array } | { absent: true },
    value: Uint8Array,
    o: KvWriteOptions & { ttlMs?: number } = {},
  ): Promise<{ ok: boolean; index: number; current?: KvEntry }> {
    const e = 'absent' in expect ? ({ absent: true } as const) : 'modIndex' in expect ? { mod: expect.modIndex } : { val: toB64(expect.value) };
    const exp = this.exp(o.ttlMs);
    const { result, index } = await this.submit({ t: 'cas', k: key, expect: e, v: toB64(value), ...(exp !== undefined ? { exp } : {}) }, o);
    const current = entryOrUndefined(key, result.current);
    return { ok: result.ok === true, index, ...(current ? { current } : {}) };
  }

  /** All guards hold -> every op applied at one index; otherwise nothing. */
  async batch(ops: readonly KvOp[], o: KvWriteOptions & { guards?: readonly KvGuard[] } = {}): Promise<{ ok: boolean; index: number }> {
    const cops: KvOpCommand[] = ops.map((op) => {
      if (op.op === 'put') {
        const exp = this.exp(op.ttlMs);
        return { op: 'put', k: op.key, v: toB64(op.value), ...(exp !== undefined ? { exp } : {}) };
      }
      return op.op === 'delete' ? { op: 'del', k: op.key } : { op: 'delr', p: op.prefix };
    });
    const guards: KvGuardCommand[] = (o.guards ?? []).map((g) => ('absent' in g ? { k: g.key, absent: true } : { k: g.key, mod: g.modIndex }));
    const { result, index } = await this.submit({ t: 'txn', ops: cops, guards }, o);
    return { ok: result.ok === true, index };
  }

  // ---------------------------------------------------------------- watch (design 3.5)

  /**
   * Changes to `key` or under `prefix`, in index order: replayed from the log from `fromIndex`
   * when still retained (else one 'resync' event), then live. `progressMs` adds 'progress'
   * events carrying the applied index. Completes when the store closes.
   */
  watch(q: { key?: string; prefix?: string; fromIndex?: number; progressMs?: number }): Observable<KvEvent> {
    const matches = (k: string): boolean => (q.key !== undefined ? k === q.key : k.startsWith(q.prefix ?? ''));
    const toEvents = (ev: Pick<AppliedEvent, 'index' | 'command' | 'changes'>): KvEvent[] => {
      const expire = (ev.command as { t?: string } | null)?.t === 'exp';
      const out: KvEvent[] = [];
      for (const ch of ev.changes) {
        if (!ch.key.startsWith(DATA)) continue;
        const key = ch.key.slice(DATA.length);
        if (!matches(key)) continue;
        const entry = entryOrUndefined(key, ch.after);
        const prev = entryOrUndefined(key, ch.before);
        out.push({ type: entry !== undefined ? 'put' : expire ? 'expire' : 'delete', key, index: ev.index, ...(entry ? { entry } : {}), ...(prev ? { prev } : {}) });
      }
      return out;
    };
    return new Observable<KvEvent>((sub) => {
      let last = 0;
      let replaying = q.fromIndex !== undefined;
      const buffered: AppliedEvent[] = [];
      const live = this.rsm.applied$.subscribe({
        next: (ev) => {
          if (replaying) buffered.push(ev);
          else if (ev.index > last) {
            last = ev.index;
            for (const e of toEvents(ev)) sub.next(e);
          }
        },
        complete: () => sub.complete(),
        error: (err: unknown) => sub.error(err),
      });
      let timer: NodeJS.Timeout | undefined;
      if (q.progressMs !== undefined) timer = setInterval(() => sub.next({ type: 'progress', index: this.rsm.appliedIndex }), q.progressMs);
      if (q.fromIndex !== undefined) {
        const from = q.fromIndex;
        void (async () => {
          const upTo = this.rsm.appliedIndex;
          if (from < this.rsm.logStart) {
            sub.next({ type: 'resync', index: upTo });
            last = upTo;
          } else {
            for (const e of await this.rsm.readLog(from, upTo)) {
              if (e.ch === undefined) continue;
              for (const x of toEvents({ index: e.i, command: e.b, changes: e.ch })) sub.next(x);
              last = e.i;
            }
            last = Math.max(last, upTo);
          }
          replaying = false;
          for (const ev of buffered.splice(0)) {
            if (ev.index <= last) continue;
            last = ev.index;
            for (const e of toEvents(ev)) sub.next(e);
          }
        })().catch((err: unknown) => sub.error(err));
      }
      return () => {
        live.unsubscribe();
        if (timer !== undefined) clearInterval(timer);
      };
    });
  }

  // ---------------------------------------------------------------- TTL janitor (design 3.4)

  /** If this replica is the janitor and some TTL has passed, replicate ExpireUpTo(now). */
  async expireTick(): Promise<boolean> {
    const s = this.rsm.status;
    if (s.mode !== 'primary' || s.catchingUp || [...s.members].sort()[0] !== s.replicaId) return false;
    const now = this.clock();
    const due = await this.rsm.read((v) => v.range({ gte: TTL, lt: `${TTL}${String(now + 1).padStart(15, '0')}`, limit: 1 }), { consistency: 'local' });
    if (due.value.length === 0) return false;
    await this.rsm.submit({ t: 'exp', upTo: now } as unknown as Json);
    return true;
  }

  async close(): Promise<void> {
    if (this.janitor !== undefined) clearInterval(this.janitor);
    await this.rsm.close();
  }

  /** Abrupt stop, as a crash (tests). */
  async kill(): Promise<void> {
    if (this.janitor !== undefined) clearInterval(this.janitor);
    await this.rsm.kill();
  }
}
