// The replica shell [shell]: one Spread connection, one LevelDB, one serial loop.
// Loop: take every message already waiting -> feed the cores (exchange, colour, commit) -> one
// synced LevelDB batch holding the new list entries, the applied commands' state changes and
// meta/applied -> then, and only then, acknowledge, report PERSISTED and answer reads.
import { createHash, randomBytes } from 'node:crypto';
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { SpreadConnection, SpreadMessage, type SpreadAddressInput } from '../../client/index.ts';
import { isLegalPrivateName, MAX_PRIVATE_NAME } from '../../client/wire/index.ts';
import { CommitTracker } from './commit.ts';
import type { HashFn } from './digest.ts';
import { ApplyEngine, type RunResult } from './engine.ts';
import {
  CommandFailedError,
  CommandTooLargeError,
  InvalidCommandError,
  NotAppliedError,
  NotPrimaryError,
  RsmClosedError,
  RsmConfigError,
  RsmTimeoutError,
  SnapshotCorruptError,
  StaleRequestError,
} from './errors.ts';
import { ExchangeCore, replicaIdOf, type Decision, type ExchangeAction, type ReplicaMeta } from './exchange.ts';
import { RsmStore, type StoreBatch } from './store.ts';
import { chooseDonor, SnapshotReceiver } from './transfer.ts';
import type {
  AppliedEvent,
  CommandService,
  Durability,
  Json,
  QuorumPolicy,
  ReadConsistency,
  RequestId,
  RsmStatus,
  StateMachine,
  StateMap,
} from './types.ts';
import { decodeMessage, encodeMessage, jsonBytes, type LogEntry, type RsmMessage } from './wire.ts';

export interface RsmOptions {
  /** This replica's id; also its Spread private name (at most 10 characters). */
  readonly replicaId: string;
  /** The configured replica set (ids). */
  readonly replicas: readonly string[];
  /** Daemon address, e.g. "4803@127.0.0.1". */
  readonly spread: SpreadAddressInput;
  /** LevelDB directory of this replica. */
  readonly dataDir: string;
  /** Spread group (default "rsm-" + machine name, cut to 31 characters). */
  readonly group?: string;
  readonly quorum?: QuorumPolicy;
  /** 'quorum' (default): apply once a majority persisted; 'safe': apply on green Safe delivery. */
  readonly durability?: Durability;
  /** Default service for commands: 'safe' (default) or 'agreed' ('agreed' needs 'quorum' durability). */
  readonly service?: CommandService;
  /** Largest encoded command accepted by submit() (default 64 KiB). */
  readonly maxCommandBytes?: number;
  /** Per-client window of remembered request results (default 4096). */
  readonly dedupWindow?: number;
  /** Log entries kept below the applied index for catch-up (default 10,000). */
  readonly logRetention?: number;
  /** Default submit timeout in ms (default 30,000). */
  readonly submitTimeoutMs?: number;
  /** Wall clock for command timestamps (default Date.now). */
  readonly clock?: () => number;
  /** Chunk size of state transfers (default 48 KiB). */
  readonly transferChunkBytes?: number;
  /** Fault injection for tests. */
  readonly testHooks?: { readonly corruptSnapshot?: boolean };
  /** Diagnostics (default: none). */
  readonly log?: (line: string) => void;
}

export interface SubmitOptions {
  readonly requestId?: RequestId;
  readonly service?: CommandService;
  readonly timeoutMs?: number;
}

/** What reads see: the applied state. */
export interface StateView {
  get(key: string): Promise<Json | undefined>;
  /** Entries with gte <= key < lt, ascending (or descending), at most limit. */
  range(q: { gte: string; lt: string; limit?: number; reverse?: boolean }): Promise<Array<[string, Json]>>;
  /** The whole state, for machines without keysOf. */
  readonly state: Readonly<StateMap> | undefined;
}

export interface ReadOptions {
  readonly consistency?: ReadConsistency;
  readonly minIndex?: number;
  readonly timeoutMs?: number;
}

export interface ReadResult<T> {
  readonly value: T;
  readonly index: number;
  readonly stale: boolean;
}

interface PendingSubmit {
  readonly id: RequestId;
  readonly command: Json;
  readonly service: CommandService;
  readonly ts: number;
  sentView: string | undefined;
  readonly resolve: (r: { result: Json; index: number }) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface PendingRead {
  readonly run: () => Promise<void>;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  /** Applied index the read must wait for (set once its marker was delivered). */
  point?: number;
}

interface TailEntry {
  entry: LogEntry;
  /** Delivered after the transitional signal: in the list, not certified. */
  yellow: boolean;
}

const sha256: HashFn = (b) => createHash('sha256').update(b).digest();
const TAIL_CHUNK_BYTES = 48 * 1024;
const TRANSFER_WINDOW = 8;

export class Rsm<C extends Json = Json, R extends Json = Json> {
  private readonly statusSubject: BehaviorSubject<RsmStatus>;
  private readonly appliedSubject = new Subject<AppliedEvent<C, R>>();
  /** Status snapshots, replaying the latest to new subscribers. */
  readonly status$: Observable<RsmStatus>;
  /** Every applied index, in order, after it is durable. */
  readonly applied$: Observable<AppliedEvent<C, R>>;

  private readonly durability: Durability;
  private readonly service: CommandService;
  private readonly maxCommandBytes: number;
  private readonly retention: number;
  private readonly submitTimeoutMs: number;
  private readonly clock: () => number;
  private readonly clientId: string;
  private seq = 0;

  private readonly core: ExchangeCore;
  private readonly commits: CommitTracker;
  private mode: RsmStatus['mode'] = 'connecting';
  private viewKey: string | undefined;
  private viewMembers: string[] = [];
  /** Replica id -> private group name, in the current view. */
  private readonly privateNames = new Map<string, string>();
  private fenced = false;

  /** The list beyond the applied index. */
  private readonly tail = new Map<number, TailEntry>();
  private lastIndex = 0;
  private len = 0;
  private greenEnd = 0;
  /** Entries up to here are final (applied at a donor): applicable without a commit report. */
  private finalUpTo = 0;
  private catchingUp = false;
  private decision: Decision | undefined;
  private reportedUpTo = 0;

  private readonly pendingSubmits = new Map<string, PendingSubmit>();
  private readonly waitingReads: PendingRead[] = [];
  private markerSeq = 0;
  private marker: { id: number; reads: PendingRead[] } | undefined;
  private readonly readsAtPoint: PendingRead[] = [];
  private readonly sessionWaiters: Array<{ minIndex: number; resolve: () => void }> = [];

  private batch: { logPut: Map<number, LogEntry>; logDel: Set<number>; metaDirty: boolean } = { logPut: new Map(), logDel: new Set(), metaDirty: false };
  private firstLogIndex = 1;
  /** Applied index and digest of the last durable batch: what reads, watches and status see. */
  private durable = { index: 0, digest: '' };
  private closed = false;
  private loopDone: Promise<void> = Promise.resolve();
  private transferIn: SnapshotReceiver | undefined;
  private transferTries = 0;
  private readonly donations = new Map<string, { acked: number; wake: (() => void) | undefined; cancelled: boolean }>();
  private transferInfo: RsmStatus['transfer'];

  private constructor(
    private readonly machine: StateMachine,
    private readonly opts: RsmOptions,
    private readonly conn: SpreadConnection,
    private readonly store: RsmStore,
    private readonly engine: ApplyEngine,
    meta: ReplicaMeta,
    private readonly group: string,
  ) {
    this.durability = opts.durability ?? 'quorum';
    this.service = opts.service ?? 'safe';
    this.maxCommandBytes = opts.maxCommandBytes ?? 64 * 1024;
    this.retention = opts.logRetention ?? 10_000;
    this.submitTimeoutMs = opts.submitTimeoutMs ?? 30_000;
    this.clock = opts.clock ?? Date.now;
    this.clientId = `${opts.replicaId}.${randomBytes(6).toString('hex')}`;
    this.core = new ExchangeCore({ me: opts.replicaId, replicas: opts.replicas, quorum: opts.quorum ?? 'static-majority', durability: this.durability }, meta);
    this.commits = new CommitTracker(opts.replicas);
    this.len = meta.len;
    this.greenEnd = meta.greenEnd;
    this.statusSubject = new BehaviorSubject<RsmStatus>(this.snapshotStatus());
    this.status$ = this.statusSubject.asObservable();
    this.applied$ = this.appliedSubject.asObservable();
  }

  /** Opens the database, connects to the daemon and joins the group. Resolves once joined (not yet primary). */
  static async open<C extends Json = Json, R extends Json = Json>(machine: StateMachine<C, R>, opts: RsmOptions): Promise<Rsm<C, R>> {
    // Each replica is a Spread client named by its id: a name the daemon would cut or refuse could
    // never find itself in the replica set.
    for (const id of opts.replicas) {
      if (id === '' || !isLegalPrivateName(id)) throw new RsmConfigError(`replica id ${JSON.stringify(id)}: 1..${MAX_PRIVATE_NAME} characters from '$' to '~' (it is the Spread private name)`);
    }
    if (!opts.replicas.includes(opts.replicaId)) throw new RsmConfigError(`replica ${opts.replicaId} is not in the replica set ${opts.replicas.join(',')}`);
    if ((opts.service ?? 'safe') === 'agreed' && (opts.durability ?? 'quorum') === 'safe') {
      throw new RsmConfigError("Agreed commands need durability 'quorum': with 'safe', an Agreed command applied by one replica may be unknown to all others");
    }
    const m = machine as unknown as StateMachine;
    const store = await RsmStore.open(opts.dataDir, machine.name, opts.replicaId);
    let conn: SpreadConnection | undefined;
    try {
      const engine = await ApplyEngine.create(store, m, sha256, opts.dedupWindow ?? 4096);
      const meta = await store.readMeta();
      conn = await SpreadConnection.connect({ spread: opts.spread, privateName: opts.replicaId, membership: true });
      const group = (opts.group ?? `rsm-${machine.name}`).slice(0, 31);
      const rsm = new Rsm<C, R>(m, opts, conn, store, engine, meta, group);
      await rsm.recover();
      await conn.join(group);
      rsm.loopDone = rsm.loop();
      return rsm;
    } catch (err) {
      conn?.kill();
      await store.close();
      throw err;
    }
  }

  // ---------------------------------------------------------------- public API

  get status(): RsmStatus {
    return this.statusSubject.value;
  }

  get replicaId(): string {
    return this.opts.replicaId;
  }

  /** Resolves once this replica is in an activated primary and caught up (or rejects after timeoutMs). */
  whenPrimary(timeoutMs = 30_000): Promise<RsmStatus> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new RsmTimeoutError(`not primary after ${timeoutMs} ms (${this.mode})`));
      }, timeoutMs);
      const sub = this.status$.subscribe((s) => {
        if (s.mode === 'primary' && !s.catchingUp) {
          clearTimeout(timer);
          queueMicrotask(() => sub.unsubscribe());
          resolve(s);
        } else if (s.mode === 'closed') {
          clearTimeout(timer);
          queueMicrotask(() => sub.unsubscribe());
          reject(new RsmClosedError('closed'));
        }
      });
    });
  }

  /**
   * Submits a command. Resolves with its result once applied on this replica (after the
   * command was committed: Safe-delivered in the primary and, in 'quorum' mode, persisted on a
   * majority). Rejects with NotPrimaryError, CommandFailedError (the recipe threw everywhere),
   * CommandTooLargeError, InvalidCommandError, StaleRequestError, RsmTimeoutError (outcome
   * unknown: retry with the same requestId) or NotAppliedError (never sent).
   */
  submit(command: C, o: SubmitOptions = {}): Promise<{ result: R; index: number }> {
    if (this.closed) return Promise.reject(new RsmClosedError('replica is closed'));
    try {
      this.machine.validate?.(command);
    } catch (err) {
      return Promise.reject(new InvalidCommandError(err instanceof Error ? err.message : String(err), { cause: err }));
    }
    const bytes = jsonBytes(command);
    if (bytes > this.maxCommandBytes) return Promise.reject(new CommandTooLargeError(bytes, this.maxCommandBytes));
    const service = o.service ?? this.service;
    if (service === 'agreed' && this.durability === 'safe') return Promise.reject(new RsmConfigError("Agreed commands need durability 'quorum'"));
    if (this.mode === 'non-primary') return Promise.reject(new NotPrimaryError(this.viewKey, this.viewMembers));
    const id = o.requestId ?? { clientId: this.clientId, seq: ++this.seq };
    const key = `${id.clientId}/${id.seq}`;
    if (this.pendingSubmits.has(key)) return Promise.reject(new InvalidCommandError(`request ${key} is already pending`));
    return new Promise((resolve, reject) => {
      const timeoutMs = o.timeoutMs ?? this.submitTimeoutMs;
      const timer = setTimeout(() => {
        const p = this.pendingSubmits.get(key);
        if (p === undefined) return;
        this.pendingSubmits.delete(key);
        p.reject(
          p.sentView === undefined
            ? new NotAppliedError(`request ${key} was never sent (no primary within ${timeoutMs} ms)`)
            : new RsmTimeoutError(`request ${key}: no outcome within ${timeoutMs} ms; retry with the same request id`),
        );
      }, timeoutMs);
      const p: PendingSubmit = {
        id,
        command,
        service,
        ts: this.clock(),
        sentView: undefined,
        resolve: resolve as (r: { result: Json; index: number }) => void,
        reject,
        timer,
      };
      this.pendingSubmits.set(key, p);
      if (this.core.canSend) this.sendCommand(p);
    });
  }

  /** Reads the applied state at the chosen consistency (default 'linearizable'). */
  async read<T>(fn: (view: StateView) => T | Promise<T>, o: ReadOptions = {}): Promise<ReadResult<T>> {
    if (this.closed) throw new RsmClosedError('replica is closed');
    const consistency = o.consistency ?? 'linearizable';
    const timeoutMs = o.timeoutMs ?? this.submitTimeoutMs;
    if (consistency === 'local') return this.readNow(fn);
    if (consistency === 'session') {
      const min = o.minIndex ?? 0;
      if (this.durable.index < min) {
        if (this.mode === 'non-primary') throw new NotPrimaryError(this.viewKey, this.viewMembers);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new RsmTimeoutError(`applied index ${this.durable.index} did not reach ${min} within ${timeoutMs} ms`)), timeoutMs);
          this.sessionWaiters.push({ minIndex: min, resolve: () => (clearTimeout(timer), resolve()) });
        });
      }
      const r = await this.readNow(fn);
      return { ...r, stale: r.index < min };
    }
    if (this.mode === 'non-primary') throw new NotPrimaryError(this.viewKey, this.viewMembers);
    return new Promise<ReadResult<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waitingReads.indexOf(read);
        if (i >= 0) this.waitingReads.splice(i, 1);
        reject(new RsmTimeoutError(`linearizable read: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const read: PendingRead = {
        run: async () => {
          clearTimeout(timer);
          try {
            const r = await this.readNow(fn);
            resolve({ ...r, stale: false });
          } catch (err) {
            reject(err as Error);
          }
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
        timer,
      };
      this.waitingReads.push(read);
      this.sendMarker();
    });
  }

  /** Log entries from..to that are still retained (with their recorded changes once applied). */
  async readLog(from: number, to: number): Promise<LogEntry[]> {
    return this.store.readLog(Math.max(from, 1), Math.min(to, this.durable.index));
  }

  /** Lowest log index still retained. */
  get logStart(): number {
    return this.firstLogIndex;
  }

  /** Highest index applied and durable on this replica. */
  get appliedIndex(): number {
    return this.durable.index;
  }

  /** Leaves the group, closes the connection and the database. Pending calls reject with RsmClosedError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.conn.close();
    } catch {
      // already gone
    }
    await this.loopDone;
    await this.shutdown();
  }

  /** Stops abruptly, as a crash would (for tests): the socket is cut, nothing is flushed. */
  async kill(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.conn.kill();
    await this.loopDone.catch(() => undefined);
    await this.shutdown();
  }

  // ---------------------------------------------------------------- start-up

  private async recover(): Promise<void> {
    const applied = this.engine.appliedIndex;
    this.durable = { index: applied, digest: this.engine.digestHex };
    const last = (await this.store.lastLogIndex()) ?? 0;
    for (const e of await this.store.readLog(applied + 1, last)) this.tail.set(e.i, { entry: e, yellow: false });
    this.firstLogIndex = (await this.store.firstLogIndex()) ?? applied + 1;
    this.lastIndex = Math.max(last, this.len, applied);
    this.opts.log?.(`[${this.opts.replicaId}] recovered applied=${applied} len=${this.len} tail=${this.tail.size}`);
  }

  private async shutdown(): Promise<void> {
    const err = new RsmClosedError('replica is closed');
    for (const p of this.pendingSubmits.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pendingSubmits.clear();
    for (const r of [...this.waitingReads, ...this.readsAtPoint, ...(this.marker?.reads ?? [])]) r.reject(err);
    this.waitingReads.length = 0;
    this.readsAtPoint.length = 0;
    this.marker = undefined;
    for (const d of this.donations.values()) {
      d.cancelled = true;
      d.wake?.();
    }
    this.mode = 'closed';
    this.publish();
    this.statusSubject.complete();
    this.appliedSubject.complete();
    await this.store.close();
  }

  // ---------------------------------------------------------------- the loop

  private async loop(): Promise<void> {
    try {
      for (;;) {
        const first = await this.conn.receive();
        const msgs = [first];
        while (msgs.length < 512 && this.conn.poll()) msgs.push(await this.conn.receive());
        await this.process(msgs);
      }
    } catch (err) {
      if (!this.closed) {
        this.opts.log?.(`[${this.opts.replicaId}] loop ended: ${err instanceof Error ? err.message : String(err)}`);
        this.closed = true;
        await this.shutdown().catch(() => undefined);
      }
    }
  }

  private async process(msgs: readonly SpreadMessage[]): Promise<void> {
    for (const m of msgs) {
      if (this.closed) return;
      if (m.isMembership()) {
        const info = m.getMembershipInfo();
        if (!info.getGroup().equals(this.group)) continue;
        if (info.isTransition()) {
          await this.flush();
          this.onTransitional();
        } else if (info.isRegularMembership()) {
          await this.flush();
          const members = info.getMembers().map((g) => g.name);
          await this.onView(info.getGroupID()!.toString(), members);
        }
        continue;
      }
      if (!m.isRegular()) continue;
      const msg = decodeMessage(m.data);
      const sender = m.sender?.name;
      if (msg === undefined || sender === undefined) continue;
      await this.onMessage(replicaIdOf(sender), sender, msg);
    }
    await this.flush();
  }

  private async onMessage(from: string, fromPrivate: string, msg: RsmMessage): Promise<void> {
    switch (msg.k) {
      case 'cmd':
        this.onCommand(msg);
        return;
      case 'pers':
        if (msg.v === this.viewKey) this.commits.report(msg.v, from, msg.u);
        return;
      case 'read':
        this.onMarker(from, msg);
        return;
      case 'tail':
      case 'state':
      case 'commit':
      case 'ready':
        await this.flush();
        await this.perform(this.core.onMessage(from, msg));
        return;
      case 'xreq':
        if (msg.v === this.viewKey) void this.donate(msg.x, fromPrivate, msg.from);
        return;
      case 'xack': {
        const d = this.donations.get(msg.x);
        if (d !== undefined) {
          d.acked = Math.max(d.acked, msg.q);
          d.wake?.();
        }
        return;
      }
      case 'xchunk':
      case 'xfail':
        await this.flush();
        await this.onTransferMessage(from, fromPrivate, msg);
        return;
    }
  }

  /** A delivered command: give it the next index if it belongs to the list (design 2.4). */
  private onCommand(msg: Extract<RsmMessage, { k: 'cmd' }>): void {
    const colour = this.core.colour(msg.v);
    if (colour === 'drop') return;
    const i = ++this.lastIndex;
    if (i <= this.engine.appliedIndex) return; // covered by an installed snapshot
    const entry: LogEntry = { i, c: msg.c, s: msg.s, ts: msg.ts, b: msg.b };
    this.tail.set(i, { entry, yellow: colour === 'yellow' });
    this.batch.logPut.set(i, entry);
    this.advanceList();
  }

  /** Extends the contiguous and certified ends over entries now held. */
  private advanceList(): void {
    for (;;) {
      const next = this.tail.get(this.len + 1);
      if (next === undefined) break;
      this.len++;
      if (!next.yellow && this.greenEnd === this.len - 1) this.greenEnd = this.len;
    }
    if (this.len < this.engine.appliedIndex) this.len = this.engine.appliedIndex;
    if (this.greenEnd < this.engine.appliedIndex) this.greenEnd = this.engine.appliedIndex;
    this.core.setProgress(this.len, this.greenEnd);
    this.batch.metaDirty = true;
  }

  // ---------------------------------------------------------------- views and the exchange

  private onTransitional(): void {
    void this.perform(this.core.onTransitional());
    // Reads whose marker was not yet delivered cannot be answered in this view.
    if (this.marker !== undefined) {
      this.waitingReads.unshift(...this.marker.reads);
      this.marker = undefined;
    }
    this.publish();
  }

  private async onView(key: string, privateMembers: readonly string[]): Promise<void> {
    this.viewKey = key;
    this.privateNames.clear();
    for (const p of privateMembers) this.privateNames.set(replicaIdOf(p), p);
    this.viewMembers = privateMembers.map(replicaIdOf);
    this.commits.reset(key);
    this.decision = undefined;
    this.reportedUpTo = 0;
    if (this.marker !== undefined) {
      this.waitingReads.unshift(...this.marker.reads);
      this.marker = undefined;
    }
    await this.abortTransferIn();
    for (const d of this.donations.values()) {
      d.cancelled = true;
      d.wake?.();
    }
    this.donations.clear();
    if (this.fenced) {
      this.mode = 'non-primary';
      this.publish();
      return;
    }
    this.mode = 'exchanging';
    const tail: LogEntry[] = [];
    for (let i = this.engine.appliedIndex + 1; i <= this.len; i++) tail.push(this.tail.get(i)!.entry);
    await this.perform(this.core.onView(key, this.viewMembers, { appliedIndex: this.engine.appliedIndex, digest: this.engine.digestHex, tail }));
    this.publish();
  }

  private async perform(actions: readonly ExchangeAction[]): Promise<void> {
    for (const a of actions) {
      switch (a.type) {
        case 'send-state': {
          await this.store.write({ meta: a.meta });
          const chunks = chunkEntries(a.tail, TAIL_CHUNK_BYTES);
          const msgs = chunks.map((e) => this.groupMessage({ k: 'tail', v: a.state.v, e }, 'safe'));
          msgs.push(this.groupMessage(a.state, 'safe'));
          await this.conn.multicast(msgs);
          break;
        }
        case 'adopt-and-commit':
          await this.adopt(a.meta, a.adoption, a.decision);
          await this.conn.multicast(this.groupMessage(a.commit, 'safe'));
          break;
        case 'persist-and-ready':
          await this.store.write({ meta: { ...a.meta, len: this.len, greenEnd: this.greenEnd } });
          await this.conn.multicast(this.groupMessage(a.ready, 'safe'));
          break;
        case 'activate':
          await this.activate(a.decision);
          break;
        case 'non-primary':
          this.opts.log?.(`[${this.opts.replicaId}] ${a.reason}`);
          this.mode = a.final ? 'non-primary' : 'exchanging';
          if (a.final) this.rejectUnsent();
          this.publish();
          break;
        case 'fenced':
          this.opts.log?.(`[${this.opts.replicaId}] FENCED: ${a.reason}`);
          this.fenced = true;
          this.mode = 'non-primary';
          this.rejectUnsent();
          this.publish();
          break;
      }
    }
  }

  /** Level 1: make the chosen list ours (one atomic batch with the meta), design 2.6 step 2. */
  private async adopt(meta: ReplicaMeta, adoption: { keepUpTo: number; write: readonly LogEntry[]; gap: boolean }, d: Decision): Promise<void> {
    const logDel: number[] = [];
    for (const i of [...this.tail.keys()]) {
      if (i > adoption.keepUpTo) {
        this.tail.delete(i);
        logDel.push(i);
      }
    }
    for (const e of adoption.write) this.tail.set(e.i, { entry: e, yellow: false });
    for (const t of this.tail.values()) t.yellow = false;
    this.lastIndex = d.baseIndex;
    this.len = meta.len;
    this.greenEnd = meta.greenEnd;
    this.catchingUp = adoption.gap;
    this.finalUpTo = 0;
    this.decision = d;
    await this.store.write({ meta, logDel, logPut: [...adoption.write] });
  }

  /** Level 3: activated primary (design 2.6 step 5). */
  private async activate(d: Decision): Promise<void> {
    this.decision = d;
    if (!this.catchingUp) {
      // The base is the view's common list: certified.
      this.greenEnd = this.len;
      this.core.setProgress(this.len, this.greenEnd);
      this.batch.metaDirty = true;
    }
    this.mode = 'primary';
    this.opts.log?.(`[${this.opts.replicaId}] primary in view ${d.view} ballot ${d.ballot} base ${d.baseIndex} members ${d.members.join(',')}${this.catchingUp ? ' (catching up)' : ''}`);
    this.publish();
    if (this.catchingUp) await this.requestTransfer();
    // Commands whose view ended without an outcome: resend under the same id (dedup makes it safe).
    for (const p of this.pendingSubmits.values()) if (p.sentView !== this.viewKey) this.sendCommand(p);
    this.sendMarker();
  }

  private rejectUnsent(): void {
    for (const [key, p] of this.pendingSubmits) {
      if (p.sentView === undefined) {
        clearTimeout(p.timer);
        this.pendingSubmits.delete(key);
        p.reject(new NotPrimaryError(this.viewKey, this.viewMembers));
      }
    }
    for (const r of this.waitingReads.splice(0)) r.reject(new NotPrimaryError(this.viewKey, this.viewMembers));
  }

  // ---------------------------------------------------------------- flush: persist, apply, answer

  private applyLimit(): number {
    const certified = Math.min(this.greenEnd, this.len);
    const committed = this.durability === 'safe' ? certified : Math.min(this.commits.commitIndex, certified);
    return Math.max(committed, Math.min(this.finalUpTo, this.len));
  }

  private async flush(): Promise<void> {
    if (this.closed) return;
    const limit = this.mode === 'primary' ? this.applyLimit() : Math.min(this.finalUpTo, this.len);
    const toApply: LogEntry[] = [];
    for (let i = this.engine.appliedIndex + 1; i <= limit; i++) toApply.push(this.tail.get(i)!.entry);
    const b = this.batch;
    if (toApply.length === 0 && b.logPut.size === 0 && b.logDel.size === 0 && !b.metaDirty) {
      this.afterWrite(undefined);
      return;
    }
    this.batch = { logPut: new Map(), logDel: new Set(), metaDirty: false };
    let run: RunResult | undefined;
    if (toApply.length > 0) run = await this.engine.run(toApply);
    const logPut = new Map(b.logPut);
    for (const e of run?.log ?? []) logPut.set(e.i, e);
    const write: StoreBatch = {
      meta: { ...this.core.currentMeta, len: this.len, greenEnd: this.greenEnd },
      logPut: [...logPut.values()],
      logDel: [...b.logDel],
      // In 'quorum' mode a batch that only applies committed entries need not be synced: those
      // entries are already synced in the log (and on a majority), LevelDB loses whole batches
      // only, and after a crash they are applied again from the log, once. New list entries and
      // 'safe' mode applies are synced before anything is acknowledged or reported.
      sync: this.durability === 'safe' || b.logPut.size > 0 || b.logDel.size > 0,
    };
    if (run !== undefined) {
      write.state = run.state;
      write.applied = { ...run.applied, gen: 0 };
    }
    await this.store.write(write);
    if (run !== undefined) {
      this.engine.commit(run);
      this.durable = { index: run.applied.index, digest: run.applied.digest };
      for (const e of run.log) this.tail.delete(e.i);
    }
    this.afterWrite(run);
  }

  /** Everything here happens only after the batch is durable. */
  private afterWrite(run: RunResult | undefined): void {
    if (run !== undefined) {
      for (const ev of run.events) {
        const key = `${ev.requestId.clientId}/${ev.requestId.seq}`;
        const p = this.pendingSubmits.get(key);
        if (p !== undefined) {
          this.pendingSubmits.delete(key);
          clearTimeout(p.timer);
          if (ev.result.ok) p.resolve({ result: ev.result.value, index: ev.index });
          else if (ev.result.stale === true) p.reject(new StaleRequestError(ev.result.error));
          else p.reject(new CommandFailedError(ev.index, ev.result.error));
        }
        this.appliedSubject.next(ev as AppliedEvent<C, R>);
      }
      this.publish();
      void this.maybeCompact();
    }
    const applied = this.engine.appliedIndex;
    for (let i = this.readsAtPoint.length - 1; i >= 0; i--) {
      const r = this.readsAtPoint[i]!;
      if (r.point !== undefined && r.point <= applied) {
        this.readsAtPoint.splice(i, 1);
        void r.run();
      }
    }
    for (let i = this.sessionWaiters.length - 1; i >= 0; i--) {
      const w = this.sessionWaiters[i]!;
      if (w.minIndex <= applied) {
        this.sessionWaiters.splice(i, 1);
        w.resolve();
      }
    }
    if (this.durability === 'quorum' && this.core.canSend && !this.catchingUp) {
      const upTo = Math.min(this.greenEnd, this.len);
      if (upTo > this.reportedUpTo) {
        this.reportedUpTo = upTo;
        void this.conn.multicast(this.groupMessage({ k: 'pers', v: this.viewKey!, u: upTo }, 'agreed')).catch(() => undefined);
      }
    }
  }

  private async maybeCompact(): Promise<void> {
    const below = this.engine.appliedIndex - this.retention;
    if (below - this.firstLogIndex < Math.max(256, this.retention / 10)) return;
    this.firstLogIndex = below;
    await this.store.compactLog(below).catch(() => undefined);
  }

  // ---------------------------------------------------------------- sending

  private groupMessage(m: RsmMessage, service: CommandService): SpreadMessage {
    const msg = new SpreadMessage().addGroup(this.group).setData(encodeMessage(m));
    return service === 'safe' ? msg.setSafe() : msg.setAgreed();
  }

  private sendCommand(p: PendingSubmit): void {
    if (this.viewKey === undefined) return;
    p.sentView = this.viewKey;
    const m = this.groupMessage({ k: 'cmd', v: this.viewKey, c: p.id.clientId, s: p.id.seq, ts: p.ts, b: p.command }, p.service);
    this.conn.multicast(m).catch((err: unknown) => {
      const key = `${p.id.clientId}/${p.id.seq}`;
      if (this.pendingSubmits.get(key) === p) {
        this.pendingSubmits.delete(key);
        clearTimeout(p.timer);
        p.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  // ---------------------------------------------------------------- linearizable reads (design 2.11)

  private sendMarker(): void {
    if (this.marker !== undefined || this.waitingReads.length === 0 || !this.core.canSend) return;
    const id = ++this.markerSeq;
    this.marker = { id, reads: this.waitingReads.splice(0) };
    void this.conn.multicast(this.groupMessage({ k: 'read', v: this.viewKey!, r: id }, 'safe')).catch(() => undefined);
  }

  private onMarker(from: string, msg: Extract<RsmMessage, { k: 'read' }>): void {
    if (from !== this.opts.replicaId || this.marker === undefined || msg.r !== this.marker.id) return;
    const reads = this.marker.reads;
    this.marker = undefined;
    if (this.core.colour(msg.v) === 'green') {
      // Everything ordered before the marker has an index <= lastIndex: answer once applied.
      for (const r of reads) {
        r.point = this.lastIndex;
        this.readsAtPoint.push(r);
      }
    } else {
      this.waitingReads.unshift(...reads);
    }
    this.sendMarker();
  }

  private async readNow<T>(fn: (view: StateView) => T | Promise<T>): Promise<ReadResult<T>> {
    const index = this.durable.index;
    const view: StateView = {
      get: (key) => this.engine.get(key),
      range: async (q) => (await this.store.stateEntries(q)).filter(([k]) => !k.startsWith('\u0000')),
      state: this.engine.memState,
    };
    const value = await fn(view);
    return { value, index, stale: this.mode !== 'primary' || this.catchingUp };
  }

  // ---------------------------------------------------------------- state transfer (design 2.8)

  private async requestTransfer(): Promise<void> {
    const d = this.decision;
    if (d === undefined || this.viewKey !== d.view) return;
    const donor = chooseDonor(d, this.opts.replicaId, this.transferTries);
    if (donor === undefined) {
      this.opts.log?.(`[${this.opts.replicaId}] no donor available`);
      return;
    }
    this.transferTries++;
    const x = `${this.opts.replicaId}.${this.viewKey}.${this.transferTries}`;
    this.transferIn = new SnapshotReceiver(x, donor, sha256, this.engine.appliedIndex + 1);
    this.transferInfo = { role: 'receiver', peer: donor, bytes: 0 };
    this.publish();
    const to = this.privateNames.get(donor);
    if (to === undefined) return;
    const m = new SpreadMessage().setFifo().addGroup(to).setData(encodeMessage({ k: 'xreq', v: this.viewKey, x, from: this.engine.appliedIndex + 1 }));
    await this.conn.multicast(m);
  }

  private async abortTransferIn(): Promise<void> {
    if (this.transferIn?.mode === 'snap') await this.store.discardStaged();
    this.transferIn = undefined;
    this.transferInfo = undefined;
  }

  private async onTransferMessage(from: string, fromPrivate: string, msg: Extract<RsmMessage, { k: 'xchunk' | 'xfail' }>): Promise<void> {
    const t = this.transferIn;
    if (t === undefined || msg.x !== t.id || from !== t.donor || msg.v !== this.viewKey) return;
    if (msg.k === 'xfail') {
      this.opts.log?.(`[${this.opts.replicaId}] transfer from ${from} failed: ${msg.reason}`);
      await this.abortTransferIn();
      await this.requestTransfer();
      return;
    }
    const step = t.accept(msg);
    if (step.kind === 'error') {
      this.opts.log?.(`[${this.opts.replicaId}] transfer from ${from} rejected: ${step.error.message}`);
      this.lastTransferError = step.error;
      await this.abortTransferIn();
      await this.requestTransfer();
      return;
    }
    if (msg.mode === 'snap' && msg.kv !== undefined) await this.store.stageSnapshot(msg.kv);
    if (this.transferInfo !== undefined) this.transferInfo = { ...this.transferInfo, bytes: t.bytes };
    void this.conn.multicast(new SpreadMessage().setFifo().addGroup(fromPrivate).setData(encodeMessage({ k: 'xack', v: msg.v, x: msg.x, q: msg.q }))).catch(() => undefined);
    if (step.kind !== 'done') return;
    this.transferIn = undefined;
    this.transferInfo = undefined;
    if (step.mode === 'snap') {
      const end = step.end;
      const logDel = [...this.tail.keys()].filter((i) => i <= end.index);
      for (const i of logDel) this.tail.delete(i);
      await this.store.commitSnapshot(end, { logDel, meta: { ...this.core.currentMeta, len: Math.max(this.len, end.index), greenEnd: Math.max(this.greenEnd, end.index) } });
      await this.engine.reload();
      this.durable = { index: this.engine.appliedIndex, digest: this.engine.digestHex };
      this.opts.log?.(`[${this.opts.replicaId}] installed snapshot at ${end.index} from ${from}`);
    } else {
      for (const e of step.log) {
        this.tail.set(e.i, { entry: { i: e.i, c: e.c, s: e.s, ts: e.ts, b: e.b }, yellow: false });
        this.batch.logPut.set(e.i, { i: e.i, c: e.c, s: e.s, ts: e.ts, b: e.b });
      }
      this.finalUpTo = step.end.index;
      this.expectDigest = step.end;
    }
    this.len = Math.max(this.len, this.engine.appliedIndex);
    this.greenEnd = Math.max(this.greenEnd, this.engine.appliedIndex);
    this.advanceList();
    if (this.len >= (this.decision?.chosenApplied ?? 0)) {
      this.catchingUp = false;
      this.greenEnd = this.len;
      this.core.setProgress(this.len, this.greenEnd);
    }
    await this.flush();
    this.checkExpectedDigest();
    this.publish();
  }

  private expectDigest: { index: number; digest: string } | undefined;
  /** The last rejected transfer (for status and tests). */
  lastTransferError: SnapshotCorruptError | undefined;

  private checkExpectedDigest(): void {
    const e = this.expectDigest;
    if (e === undefined || this.engine.appliedIndex < e.index) return;
    this.expectDigest = undefined;
    if (this.engine.appliedIndex === e.index && this.engine.digestHex !== e.digest) {
      this.opts.log?.(`[${this.opts.replicaId}] FENCED: digest ${this.engine.digestHex} at ${e.index} differs from the donor's ${e.digest}`);
      this.fenced = true;
      this.mode = 'non-primary';
      this.publish();
    }
  }

  /** Donor side: stream the log tail (if retained) or a snapshot, windowed by acks. */
  private async donate(x: string, to: string, from: number): Promise<void> {
    const state = { acked: -1, wake: undefined as (() => void) | undefined, cancelled: false };
    this.donations.set(x, state);
    const view = this.viewKey!;
    this.transferInfo = { role: 'donor', peer: replicaIdOf(to), bytes: 0 };
    this.publish();
    let q = 0;
    const send = async (chunk: Omit<Extract<RsmMessage, { k: 'xchunk' }>, 'k' | 'v' | 'x' | 'q'>): Promise<boolean> => {
      while (!state.cancelled && q - state.acked > TRANSFER_WINDOW) await new Promise<void>((r) => (state.wake = r));
      if (state.cancelled || this.closed) return false;
      const body: RsmMessage = { k: 'xchunk', v: view, x, q: q++, ...chunk };
      await this.conn.multicast(new SpreadMessage().setFifo().addGroup(to).setData(encodeMessage(body)));
      return true;
    };
    try {
      const mark = { ...this.durable };
      if (from >= this.firstLogIndex && from <= mark.index + 1) {
        const all = await this.store.readLog(from, mark.index);
        const chunks = chunkEntries(all, this.opts.transferChunkBytes ?? 48 * 1024);
        if (chunks.length === 0) chunks.push([]);
        for (let i = 0; i < chunks.length; i++) {
          const log = chunks[i]!.map((e) => ({ i: e.i, c: e.c, s: e.s, ts: e.ts, b: e.b }));
          if (!(await send({ mode: 'log', log, ...(i === chunks.length - 1 ? { end: mark } : {}) }))) return;
        }
      } else {
        let corrupt = this.opts.testHooks?.corruptSnapshot === true;
        let prev: { applied: { index: number; digest: string }; entries: Array<[string, Json]> } | undefined;
        for await (const c of this.store.snapshotChunks(this.opts.transferChunkBytes ?? 48 * 1024)) {
          if (corrupt && c.entries.length > 0) {
            c.entries[0] = [c.entries[0]![0], { corrupted: true }];
            corrupt = false;
          }
          if (prev !== undefined && !(await send({ mode: 'snap', kv: prev.entries }))) return;
          prev = { applied: { index: c.applied.index, digest: c.applied.digest }, entries: c.entries };
        }
        if (prev !== undefined) await send({ mode: 'snap', kv: prev.entries, end: prev.applied });
      }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      void this.conn.multicast(new SpreadMessage().setFifo().addGroup(to).setData(encodeMessage({ k: 'xfail', v: view, x, reason }))).catch(() => undefined);
    } finally {
      this.donations.delete(x);
      if (this.transferInfo?.role === 'donor') this.transferInfo = undefined;
      this.publish();
    }
  }

  // ---------------------------------------------------------------- status

  private snapshotStatus(): RsmStatus {
    return {
      replicaId: this.opts.replicaId,
      view: this.viewKey,
      members: this.viewMembers,
      mode: this.mode,
      ballot: this.decision?.ballot ?? this.core.currentMeta.maxBallot,
      appliedIndex: this.durable.index,
      digest: this.durable.digest,
      catchingUp: this.catchingUp,
      ...(this.transferInfo !== undefined ? { transfer: this.transferInfo } : {}),
    };
  }

  private publish(): void {
    if (this.statusSubject.closed) return;
    this.statusSubject.next(this.snapshotStatus());
  }
}

function chunkEntries(entries: readonly LogEntry[], maxBytes: number): LogEntry[][] {
  const out: LogEntry[][] = [];
  let cur: LogEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const b = JSON.stringify(e).length;
    if (cur.length > 0 && bytes + b > maxBytes) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(e);
    bytes += b;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
