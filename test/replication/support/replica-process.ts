// The test-process side of a KV replica running in its own process (kv-server.ts): requests over
// IPC, the replica's status as an Observable (for waitStatuses), kill -9 and restart on the same
// LevelDB directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { BehaviorSubject, type Observable } from 'rxjs';
import type { ReadConsistency, RsmStatus } from '../../../replication/rsm/index.ts';
import { downStatus, type KvReplica, type ReplicaOptions } from './kv-replica.ts';
import type { ServerRequest } from './kv-server.ts';

const root = new URL('../../..', import.meta.url).pathname;

/** A failure reported by the replica: `name` is the class of the error it threw (e.g. NotPrimaryError). */
export class ReplicaError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** A request that the replica process did not answer because it died (the outcome is unknown). */
export class ReplicaGoneError extends Error {
  override readonly name = 'ReplicaGoneError';
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string };
type Incoming = Reply | { status: RsmStatus } | { ready: true };
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<ServerRequest>;

export class ReplicaProcess implements KvReplica {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly statusSubject: BehaviorSubject<RsmStatus>;
  /** The replica's latest status; 'closed' while its process is not running. Never completes. */
  readonly status$: Observable<RsmStatus>;
  /** The child's stderr (diagnostics; RSM_LOG=1 makes replicas log there). */
  output = '';

  /** Not started yet: call start(). */
  constructor(readonly o: ReplicaOptions) {
    this.statusSubject = new BehaviorSubject(downStatus(o.id, 'closed'));
    this.status$ = this.statusSubject.asObservable();
  }

  get id(): string {
    return this.o.id;
  }

  get status(): RsmStatus {
    return this.statusSubject.value;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Spawns the replica (again, on the same data directory); resolves once its store is open (joined, not yet primary). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`replica ${this.o.id} is running`);
    const o = this.o;
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/replication/support/kv-server.ts', o.id, o.spread, o.dataDir, o.replicas.join(','), o.group], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: process.env,
    });
    this.proc = proc;
    this.statusSubject.next(downStatus(o.id, 'connecting'));
    proc.on('error', () => undefined); // a failed send reports to its callback; the exit does the rest
    proc.stderr!.on('data', (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-20_000);
      if (process.env.RSM_LOG) process.stderr.write(b);
    });
    let ready: () => void = () => undefined;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    proc.on('message', (m: Incoming) => {
      if ('ready' in m) ready();
      else if ('status' in m) this.statusSubject.next(m.status);
      else {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.result);
        else p.reject(new ReplicaError(m.name, m.message));
      }
    });
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', () => {
        for (const p of this.pending.values()) p.reject(new ReplicaGoneError(`replica ${o.id} exited`));
        this.pending.clear();
        this.statusSubject.next(downStatus(o.id, 'closed'));
        resolve();
      });
    });
    await Promise.race([isReady, this.exited.then(() => Promise.reject(new Error(`replica ${o.id} exited before it was ready: ${this.output}`)))]);
  }

  private request<T>(r: Request): Promise<T> {
    const proc = this.proc;
    if (proc === undefined || !this.running || !proc.connected) return Promise.reject(new ReplicaGoneError(`replica ${this.o.id} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      proc.send({ ...r, id }, (err) => {
        // The process died (killed) before the request reached it: its exit rejects the rest.
        if (err === null || !this.pending.delete(id)) return;
        reject(new ReplicaGoneError(`replica ${this.o.id}: ${err.message}`));
      });
    });
  }

  put(key: string, value: string): Promise<{ index: number }> {
    return this.request({ op: 'put', key, value });
  }

  get(key: string, consistency?: ReadConsistency): Promise<{ value: string | null; index: number; stale: boolean }> {
    return this.request({ op: 'get', key, consistency });
  }

  /** Compare-and-set on the value (null: the key must be absent). */
  cas(key: string, expect: string | null, value: string): Promise<{ ok: boolean; index: number }> {
    return this.request({ op: 'cas', key, expect, value });
  }

  keys(prefix: string, consistency?: ReadConsistency): Promise<{ keys: string[]; index: number; stale: boolean }> {
    return this.request({ op: 'keys', prefix, consistency });
  }

  /** kill -9; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.running) this.proc!.kill('SIGKILL');
    await this.exited;
  }

  /** Closes the store cleanly (SIGKILL if that takes more than 5 s). */
  async close(): Promise<void> {
    if (!this.running) return;
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 5000);
    await this.request({ op: 'close' }).catch(() => undefined);
    await this.exited;
    clearTimeout(t);
  }
}
