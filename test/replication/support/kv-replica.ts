// A KV replica as the fault tests' clients see it, in this process (LocalReplica) or in its own
// process (ReplicaProcess, served by kv-server.ts): one set of options, one mapping of the store's
// calls to plain results, so both kinds behave alike.
import { BehaviorSubject, type Observable } from 'rxjs';
import { KvStore } from '../../../replication/kv/index.ts';
import type { ReadConsistency, RsmStatus } from '../../../replication/rsm/index.ts';

export interface ReplicaOptions {
  readonly id: string;
  /** Daemon address, "port@host". */
  readonly spread: string;
  readonly dataDir: string;
  readonly replicas: readonly string[];
  readonly group: string;
}

/** What the fault workload calls; errors keep the store's class names (NotPrimaryError...). */
export interface KvReplica {
  readonly id: string;
  readonly running: boolean;
  /** The replica's latest status ('closed' while it is down). */
  readonly status$: Observable<RsmStatus>;
  put(key: string, value: string): Promise<{ index: number }>;
  get(key: string, consistency?: ReadConsistency): Promise<{ value: string | null; index: number; stale: boolean }>;
  /** Compare-and-set on the value (null: the key must be absent). */
  cas(key: string, expect: string | null, value: string): Promise<{ ok: boolean; index: number }>;
  keys(prefix: string, consistency?: ReadConsistency): Promise<{ keys: string[]; index: number; stale: boolean }>;
  close(): Promise<void>;
}

export type KvCalls = Pick<KvReplica, 'put' | 'get' | 'cas' | 'keys'>;

/** The status of a replica that is not (yet) running. */
export function downStatus(id: string, mode: 'connecting' | 'closed'): RsmStatus {
  return { replicaId: id, view: undefined, members: [], mode, ballot: 0, appliedIndex: 0, digest: '', catchingUp: false };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Opens the replica's store; retries while the daemon is still starting. */
export async function openReplicaStore(o: ReplicaOptions): Promise<KvStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await KvStore.open({
        replicaId: o.id,
        replicas: o.replicas,
        spread: o.spread,
        dataDir: o.dataDir,
        group: o.group,
        janitorIntervalMs: 0,
        submitTimeoutMs: 6_000,
        ...(process.env.RSM_LOG ? { log: (l: string) => console.error(l) } : {}),
      });
    } catch (err) {
      if (attempt > 120) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The workload's calls on a store, with string values. */
export function kvCalls(kv: KvStore): KvCalls {
  return {
    put: async (key, value) => ({ index: (await kv.put(key, enc.encode(value))).index }),
    get: async (key, consistency = 'linearizable') => {
      const g = await kv.get(key, { consistency });
      return { value: g.entry === undefined ? null : dec.decode(g.entry.value), index: g.index, stale: g.stale };
    },
    cas: async (key, expect, value) => {
      const c = await kv.compareAndSet(key, expect === null ? { absent: true } : { value: enc.encode(expect) }, enc.encode(value));
      return { ok: c.ok, index: c.index };
    },
    keys: async (prefix, consistency = 'linearizable') => {
      const g = await kv.range({ prefix }, { consistency });
      return { keys: g.entries.map((e) => e.key), index: g.index, stale: g.stale };
    },
  };
}

/** A replica in this process (for the members a test does not kill). */
export class LocalReplica implements KvReplica {
  private readonly status: BehaviorSubject<RsmStatus>;
  readonly status$: Observable<RsmStatus>;
  private store: KvStore | undefined;
  private calls: KvCalls | undefined;

  constructor(readonly o: ReplicaOptions) {
    this.status = new BehaviorSubject(downStatus(o.id, 'closed'));
    this.status$ = this.status.asObservable();
  }

  get id(): string {
    return this.o.id;
  }

  get running(): boolean {
    return this.store !== undefined && this.store.status().mode !== 'closed';
  }

  async start(): Promise<void> {
    this.store = await openReplicaStore(this.o);
    this.calls = kvCalls(this.store);
    this.store.rsm.status$.subscribe((s) => this.status.next(s));
  }

  private get c(): KvCalls {
    if (this.calls === undefined) throw new Error(`replica ${this.o.id} is not started`);
    return this.calls;
  }

  put(key: string, value: string): Promise<{ index: number }> {
    return this.c.put(key, value);
  }

  get(key: string, consistency?: ReadConsistency): Promise<{ value: string | null; index: number; stale: boolean }> {
    return this.c.get(key, consistency);
  }

  cas(key: string, expect: string | null, value: string): Promise<{ ok: boolean; index: number }> {
    return this.c.cas(key, expect, value);
  }

  keys(prefix: string, consistency?: ReadConsistency): Promise<{ keys: string[]; index: number; stale: boolean }> {
    return this.c.keys(prefix, consistency);
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}
