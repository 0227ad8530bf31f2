// LevelDB adapter for one replica (design 2.9, 3.3) [adapter]: holds no protocol rule.
// One database, string keys, JSON values:
//   m/schema            {machine, replicaId, version}
//   m/replica           ReplicaMeta (ballots, lineage, list tag, list progress)
//   m/applied           {index, digest, gen}: written in the same batch as every state change
//   l/<16 hex index>    LogEntry (the replica's list; entries <= applied are final)
//   s<gen>/<key>        state value; a snapshot install writes generation gen+1, then switches
// Every write that matters is one atomic batch with sync: true (fsync before it completes).
import { ClassicLevel } from 'classic-level';
import { GENESIS_META, type ReplicaMeta } from './exchange.ts';
import { RsmConfigError } from './errors.ts';
import type { Json } from './types.ts';
import type { LogEntry } from './wire.ts';

export interface AppliedMark {
  readonly index: number;
  readonly digest: string;
  readonly gen: number;
}

export interface StoreBatch {
  meta?: ReplicaMeta;
  applied?: AppliedMark;
  logPut?: LogEntry[];
  logDel?: number[];
  state?: Array<{ key: string; value: Json | undefined }>;
  /** fsync before completing (default true). */
  sync?: boolean;
}

type Db = ClassicLevel<string, string>;
type Op = { type: 'put'; key: string; value: string } | { type: 'del'; key: string };

/** Above every user key (the highest code point). */
export const KEY_MAX = '\u{10ffff}';

export const logKey = (i: number): string => `l/${i.toString(16).padStart(16, '0')}`;
const stateKey = (gen: number, key: string): string => `s${gen}/${key}`;
const statePrefixEnd = (gen: number): string => `s${gen}0`; // '0' follows '/'

export class RsmStore {
  private constructor(
    private readonly db: Db,
    private gen: number,
  ) {}

  /** Opens (creating if needed) and checks that the database belongs to this machine and replica. */
  static async open(dir: string, machine: string, replicaId: string): Promise<RsmStore> {
    const db: Db = new ClassicLevel<string, string>(dir, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    await db.open();
    const schemaText = await db.get('m/schema');
    if (schemaText === undefined) {
      await db.batch(
        [
          { type: 'put', key: 'm/schema', value: JSON.stringify({ machine, replicaId, version: 1 }) },
          { type: 'put', key: 'm/applied', value: JSON.stringify({ index: 0, digest: '', gen: 0 }) },
        ],
        { sync: true },
      );
    } else {
      const schema = JSON.parse(schemaText) as { machine: string; replicaId: string };
      if (schema.machine !== machine || schema.replicaId !== replicaId) {
        await db.close();
        throw new RsmConfigError(`${dir} holds machine ${schema.machine} of replica ${schema.replicaId}, not ${machine} of ${replicaId}`);
      }
    }
    const applied = JSON.parse((await db.get('m/applied'))!) as AppliedMark;
    const store = new RsmStore(db, applied.gen);
    await store.dropOtherGenerations();
    return store;
  }

  /** True when the database was just created (no state written yet). */
  async isFresh(): Promise<boolean> {
    const a = await this.readApplied();
    return a.index === 0 && a.digest === '';
  }

  async readMeta(): Promise<ReplicaMeta> {
    const t = await this.db.get('m/replica');
    return t === undefined ? GENESIS_META : (JSON.parse(t) as ReplicaMeta);
  }

  async readApplied(): Promise<AppliedMark> {
    return JSON.parse((await this.db.get('m/applied'))!) as AppliedMark;
  }

  async getState(key: string): Promise<Json | undefined> {
    // getSync: a point read from LevelDB's memtable/cache takes microseconds; the async get
    // would queue behind synced batch writes in libuv's thread pool.
    const t = this.db.getSync(stateKey(this.gen, key));
    return t === undefined ? undefined : (JSON.parse(t) as Json);
  }

  /** State keys in [gte, lt), ascending. */
  async stateKeys(range: { gte: string; lt: string; limit?: number; reverse?: boolean }): Promise<string[]> {
    const prefix = `s${this.gen}/`;
    const out: string[] = [];
    for await (const k of this.db.keys({ gte: prefix + range.gte, lt: prefix + range.lt, limit: range.limit ?? -1, reverse: range.reverse ?? false })) {
      out.push(k.slice(prefix.length));
    }
    return out;
  }

  /** State entries in [gte, lt), ascending (or descending), at most limit. */
  async stateEntries(range: { gte: string; lt: string; limit?: number; reverse?: boolean }): Promise<Array<[string, Json]>> {
    const prefix = `s${this.gen}/`;
    const out: Array<[string, Json]> = [];
    for await (const [k, v] of this.db.iterator({ gte: prefix + range.gte, lt: prefix + range.lt, limit: range.limit ?? -1, reverse: range.reverse ?? false })) {
      out.push([k.slice(prefix.length), JSON.parse(v) as Json]);
    }
    return out;
  }

  async readLog(from: number, to: number): Promise<LogEntry[]> {
    if (to < from) return [];
    const out: LogEntry[] = [];
    for await (const v of this.db.values({ gte: logKey(from), lte: logKey(to) })) out.push(JSON.parse(v) as LogEntry);
    return out;
  }

  /** Lowest log index still held (undefined if the log is empty). */
  async firstLogIndex(): Promise<number | undefined> {
    for await (const k of this.db.keys({ gte: 'l/', lt: 'l0', limit: 1 })) return parseInt(k.slice(2), 16);
    return undefined;
  }

  /** Highest log index held (undefined if empty). */
  async lastLogIndex(): Promise<number | undefined> {
    for await (const k of this.db.keys({ gte: 'l/', lt: 'l0', limit: 1, reverse: true })) return parseInt(k.slice(2), 16);
    return undefined;
  }

  /** One atomic, synced batch. */
  async write(b: StoreBatch): Promise<void> {
    const ops: Op[] = [];
    if (b.meta !== undefined) ops.push({ type: 'put', key: 'm/replica', value: JSON.stringify(b.meta) });
    for (const i of b.logDel ?? []) ops.push({ type: 'del', key: logKey(i) });
    for (const e of b.logPut ?? []) ops.push({ type: 'put', key: logKey(e.i), value: JSON.stringify(e) });
    for (const s of b.state ?? []) {
      ops.push(s.value === undefined ? { type: 'del', key: stateKey(this.gen, s.key) } : { type: 'put', key: stateKey(this.gen, s.key), value: JSON.stringify(s.value) });
    }
    if (b.applied !== undefined) ops.push({ type: 'put', key: 'm/applied', value: JSON.stringify({ ...b.applied, gen: this.gen }) });
    if (ops.length === 0) return;
    await this.db.batch(ops, { sync: b.sync ?? true });
  }

  /**
   * A consistent view for a donor: the applied mark and an iterator over the whole state, read
   * from one LevelDB snapshot (meta/applied is written with every state change, so it is the
   * snapshot's index and digest). Yields chunks of at most `chunkBytes`.
   */
  async *snapshotChunks(chunkBytes: number): AsyncGenerator<{ applied: AppliedMark; entries: Array<[string, Json]>; bytes: number }> {
    const snapshot = this.db.snapshot();
    try {
      const applied = JSON.parse((await this.db.get('m/applied', { snapshot }))!) as AppliedMark;
      const prefix = `s${applied.gen}/`;
      let entries: Array<[string, Json]> = [];
      let bytes = 0;
      for await (const [k, v] of this.db.iterator({ gte: prefix, lt: statePrefixEnd(applied.gen), snapshot })) {
        entries.push([k.slice(prefix.length), JSON.parse(v) as Json]);
        bytes += k.length + v.length + 8;
        if (bytes >= chunkBytes) {
          yield { applied, entries, bytes };
          entries = [];
          bytes = 0;
        }
      }
      yield { applied, entries, bytes };
    } finally {
      await snapshot.close();
    }
  }

  /** Writes snapshot entries into the next generation (not yet live). */
  async stageSnapshot(entries: ReadonlyArray<readonly [string, Json]>): Promise<void> {
    if (entries.length === 0) return;
    const g = this.gen + 1;
    await this.db.batch(entries.map(([k, v]) => ({ type: 'put' as const, key: stateKey(g, k), value: JSON.stringify(v) })));
  }

  /** Discards a staged generation (bad digest, aborted transfer). */
  async discardStaged(): Promise<void> {
    await this.db.clear({ gte: `s${this.gen + 1}/`, lt: statePrefixEnd(this.gen + 1) });
  }

  /** Makes the staged generation live at `applied` in one synced batch, with the given meta and log changes. */
  async commitSnapshot(applied: { index: number; digest: string }, b: StoreBatch): Promise<void> {
    const old = this.gen;
    this.gen = old + 1;
    try {
      await this.write({ ...b, applied: { ...applied, gen: this.gen } });
    } catch (err) {
      this.gen = old;
      throw err;
    }
    await this.db.clear({ gte: `s${old}/`, lt: statePrefixEnd(old) });
  }

  /** Deletes log entries below `below` (they stay applied; transfers then need a snapshot). */
  async compactLog(below: number): Promise<void> {
    if (below <= 1) return;
    await this.db.clear({ gte: 'l/', lt: logKey(below) });
  }

  /** All state entries of the live generation (full load for in-memory machines, digests in tests). */
  async allState(): Promise<Array<[string, Json]>> {
    return this.stateEntries({ gte: '', lt: KEY_MAX });
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async dropOtherGenerations(): Promise<void> {
    // A crash during a snapshot install leaves a staged generation behind; drop anything not live.
    await this.db.clear({ gte: 's', lt: `s${this.gen}/` });
    await this.db.clear({ gte: statePrefixEnd(this.gen), lt: 't' });
  }
}
