// The UDP adapter of the ring core (design 1.5, 2.5, 2.6, 9.3, 11): binds one daemon's data port
// P and token port P+1 on its configured address, sends from a socket bound to that address, runs
// the core's named timers, applies the partition vector, and feeds the core datagrams with
// Spread's priorities: every queued data datagram before the token on each turn of the event loop,
// reversed while the Accelerated Ring asks for token priority; a datagram that has nothing to wait
// for is stepped at once. It holds no protocol rule.
//
// A daemon starts alone and the membership algorithm forms rings with the daemons it finds; a
// static member list (options.members) installs one fixed ring instead, for benchmarks.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { DaemonSpec, MembershipTimeouts, SpreadConfig } from '../config/model.ts';
import { RingCore, ringParamsFromConfig, screenDatagram, type RingParamOverrides } from '../ring/index.ts';
import { peekEnvelope } from '../wire/envelope.ts';
import { formatRingId } from '../wire/types.ts';
import { DatagramKind, KIND_OFFSET, TOKEN_HEADER_BYTES } from '../wire/constants.ts';
import { peekTokenSeq } from '../wire/token.ts';
import { isControlKind } from '../wire/control.ts';
import type {
  DeliveryThreshold,
  DownQueueName,
  FlowControlValues,
  RingAction,
  RingEvent,
  RingMessage,
  RingStatus,
  RingTimerName,
  RingUpcall,
} from '../ring/index.ts';
import { datagramAuthFor, type DatagramAuth } from './datagram-auth.ts';
import { partitionProblem, sameCell, type PartitionCells } from './ring-partition.ts';
import { NamedTimers } from './ring-timers.ts';

export type RingLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RingLogger {
  log(level: RingLogLevel, message: string): void;
}

export interface RingDriverOptions {
  readonly config: SpreadConfig;
  readonly self: DaemonSpec;
  /**
   * A static ring instead of membership: these members (all must pass the same list and
   * ringTime) install one fixed ring at start. Without it the daemon starts alone and the
   * membership algorithm forms rings.
   */
  readonly members?: ReadonlyArray<DaemonSpec>;
  /** Static ring only: time part of the ring id {leader id, time} (default 1). */
  readonly ringTime?: number;
  /** Replaces the configuration's nine timeouts (tests scale them down). */
  readonly timeouts?: MembershipTimeouts;
  /** Wall-clock seconds for ring ids (default Date.now() / 1000). */
  readonly clock?: () => number;
  /** Delivery threshold at each install (default UNRELIABLE; the group layer passes BLOCK). */
  readonly installThreshold?: DeliveryThreshold;
  readonly logger?: RingLogger;
  /** Verbose core trace records (token visits, drops, membership) to the logger at debug level. */
  readonly trace?: boolean;
}

export interface RingDriverCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** Dropped before the core: bad envelope, hash, unknown or own transmitter, wrong source address. */
  dropped: number;
  /** Dropped because the transmitter is in another partition cell (9.3). */
  partitioned: number;
  sendErrors: number;
  /** Of `dropped`: datagrams whose daemon key tag did not check (DaemonKey set). */
  authFailures: number;
}

export interface RingDriverStatus extends RingStatus {
  readonly driver: Readonly<RingDriverCounters>;
  /** The partition vector in force (cells by configuration index), if any. */
  readonly partition: PartitionCells | undefined;
}

/** Receives, in order, the messages and the configuration changes the ring hands up. */
export type DeliverCallback = (upcall: RingUpcall) => void;

/** A FIFO of datagrams with O(1) shift. */
class DatagramQueue {
  private items: Buffer[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(b: Buffer): void {
    this.items.push(b);
  }
  shift(): Buffer {
    const b = this.items[this.head++]!;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
    return b;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

type Channel = 'data' | 'token';

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class RingDriver {
  private config: SpreadConfig;
  private readonly self: DaemonSpec;
  private readonly members: ReadonlyArray<DaemonSpec>;
  private readonly ringTime: number;
  private readonly logger: RingLogger | undefined;
  private readonly core: RingCore;
  private readonly paramOverrides: RingParamOverrides;
  private readonly byId = new Map<number, DaemonSpec>();
  /** Daemon id -> configuration index, for the partition vector. */
  private readonly indexOf = new Map<number, number>();
  private myIndex: number;
  private readonly staticRing: boolean;
  private partition: PartitionCells | undefined;
  /** Everyone a segment broadcast reaches: every other configured daemon (design 2.6, deviation). */
  private peers: ReadonlyArray<DaemonSpec>;
  private readonly timers: NamedTimers<RingTimerName>;
  private readonly dataQueue = new DatagramQueue();
  private readonly tokenQueue = new DatagramQueue();
  private readonly deliverCallbacks: DeliverCallback[] = [];
  private controlCallback: ((bytes: Buffer, fromAddress: string) => void) | undefined;
  private readonly tokenLostCallbacks: Array<() => void> = [];
  private readonly membershipCallbacks: Array<(running: boolean) => void> = [];
  /** Daemon id/configuration hash pairs already reported as running another file. */
  private readonly foreignWarned = new Set<string>();
  /** Whether the membership algorithm was running after the last step (memberState other than OP). */
  private membershipRunning = false;
  private readonly counters: RingDriverCounters = { datagramsIn: 0, datagramsOut: 0, dropped: 0, partitioned: 0, sendErrors: 0, authFailures: 0 };
  /** Signs what is sent and checks what arrives, when spread.conf sets a daemon key. */
  private auth: DatagramAuth | undefined;
  private dataSocket: dgram.Socket | undefined;
  private tokenSocket: dgram.Socket | undefined;
  /**
   * Send sockets bound to this daemon's address and connected to one destination port each
   * (data and token port of every daemon): a connected socket sends without Node's per-datagram
   * address lookup.
   */
  private readonly sendSockets = new Map<string, dgram.Socket>();
  private drainScheduled = false;
  private tokenFirst = false;
  private performing = false;
  /** Events raised from inside a callback: stepped after the current actions, not in their middle. */
  private deferred: RingEvent[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(options: RingDriverOptions) {
    this.config = options.config;
    this.self = options.self;
    this.ringTime = options.ringTime ?? 1;
    this.logger = options.logger;
    this.config.daemons.forEach((d, i) => {
      this.byId.set(d.id >>> 0, d);
      this.indexOf.set(d.id >>> 0, i);
    });
    if (this.byId.get(this.self.id >>> 0) === undefined) throw new RangeError(`daemon ${this.self.name} is not configured`);
    this.myIndex = this.indexOf.get(this.self.id >>> 0)!;
    this.staticRing = options.members !== undefined;
    const members = options.members ?? [this.self];
    this.members = [...members].sort((a, b) => a.order - b.order);
    if (!this.members.some((m) => m.id === this.self.id)) throw new RangeError(`daemon ${this.self.name} is not a ring member`);
    for (const m of this.members) {
      if (this.byId.get(m.id >>> 0) === undefined) throw new RangeError(`ring member ${m.name} is not configured`);
    }
    this.peers = this.config.daemons.filter((d) => d.id !== this.self.id);
    this.paramOverrides = {
      trace: options.trace === true,
      timeouts: options.timeouts,
      clock: options.clock ?? (() => Date.now() / 1000),
      installThreshold: options.installThreshold,
    };
    this.core = RingCore.fromConfig(this.config, this.self.id, this.paramOverrides);
    this.timers = new NamedTimers((name) => this.step({ type: 'timer', name }));
    this.auth = datagramAuthFor(this.config);
  }

  /** Binds the sockets, then starts alone (membership) or installs the static ring. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`ring driver already ${this.state}`);
    this.state = 'starting';
    const type = isIPv6(this.self.address) ? 'udp6' : 'udp4';
    try {
      this.dataSocket = await bindSocket(type, this.self.address, this.self.port);
      this.tokenSocket = await bindSocket(type, this.self.address, this.self.port + 1);
      await this.openSendSockets(this.config.daemons);
    } catch (err) {
      await this.closeSockets();
      this.state = 'stopped';
      throw err;
    }
    this.dataSocket.on('message', (msg, rinfo) => {
      // Monitor control packets share the data port (design 9.1); their rules live elsewhere.
      if (this.controlCallback !== undefined && msg.length > KIND_OFFSET && isControlKind(msg[KIND_OFFSET]!)) {
        this.controlCallback(msg, rinfo.address);
        return;
      }
      this.received('data', msg, rinfo.address);
    });
    this.tokenSocket.on('message', (msg, rinfo) => this.received('token', msg, rinfo.address));
    for (const s of [this.dataSocket, this.tokenSocket]) s.on('error', (err) => this.log('error', `socket error: ${err.message}`));
    this.state = 'running';
    this.log('info', `ring driver ${this.self.name} on ${this.self.address}:${this.self.port}/${this.self.port + 1}; ` +
      `segment broadcast as unicast to ${this.peers.length} daemon(s)`);
    if (this.staticRing) {
      const leader = this.members[0]!;
      this.perform(this.core.install({ ringId: { procId: leader.id >>> 0, time: this.ringTime }, members: this.members.map((m) => m.id >>> 0) }));
    } else {
      this.event({ type: 'start' });
    }
  }

  /**
   * Takes a reloaded configuration (Spread 4's reload): send sockets for the daemons it adds,
   * the new peers and partition-free cells, and the ring core runs the membership algorithm
   * with the new parameters. This daemon's name, id, address and port must stay the same.
   */
  async reconfigure(config: SpreadConfig): Promise<void> {
    if (this.state !== 'running') throw new Error(`ring driver is ${this.state}`);
    const self = config.daemons.find((d) => d.name === this.self.name);
    if (self === undefined) throw new Error(`daemon ${this.self.name} is not in the new configuration`);
    if (self.id !== this.self.id || self.address !== this.self.address || self.port !== this.self.port) {
      throw new Error(`daemon ${this.self.name} changes its id, address or port: that needs a restart`);
    }
    const auth = datagramAuthFor(config); // reads a key file: may throw, so before anything changes
    const added = config.daemons.filter((d) => d.id !== self.id && !this.sendSockets.has(destination(d.address, d.port)));
    await this.openSendSockets(added);
    this.config = config;
    this.indexOf.clear();
    config.daemons.forEach((d, i) => {
      // departed daemons stay in byId: their datagrams are screened out by the configuration hash
      this.byId.set(d.id >>> 0, d);
      this.indexOf.set(d.id >>> 0, i);
    });
    this.myIndex = this.indexOf.get(self.id >>> 0)!;
    this.peers = config.daemons.filter((d) => d.id !== self.id);
    this.partition = undefined;
    this.auth = auth;
    this.foreignWarned.clear();
    const params = ringParamsFromConfig(config, self.id, this.paramOverrides);
    this.log('info', `configuration reloaded: ${config.daemons.length} daemon(s), hash ${(config.configHash >>> 0).toString(16)}; membership starts`);
    this.event({ type: 'reconfigure', params });
  }

  /** One connected send socket per destination port (data and token of every other daemon, my own token port). */
  private async openSendSockets(daemons: ReadonlyArray<DaemonSpec>): Promise<void> {
    const type = isIPv6(this.self.address) ? 'udp6' : 'udp4';
    for (const d of daemons) {
      const ports = d.id === this.self.id ? [d.port + 1] : [d.port, d.port + 1];
      for (const port of ports) {
        const s = await bindSocket(type, this.self.address, 0);
        this.sendSockets.set(destination(d.address, port), s);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.connect(port, d.address, () => {
            s.off('error', reject);
            resolve();
          });
        });
        // e.g. ECONNREFUSED after an ICMP port unreachable: the peer is down; the protocol copes
        s.on('error', (err) => {
          this.counters.sendErrors++;
          this.log('debug', `send failed: ${err.message}`);
        });
      }
    }
  }

  /** Queues a message for the ring (the caller maps client services to packet classes). */
  submit(message: RingMessage, queue: DownQueueName = 'normal'): void {
    if (this.state !== 'running') throw new Error(`ring driver is ${this.state}`);
    this.event({ type: 'submit', message, queue });
  }

  /** The group layer's delivery threshold (design 3.8); lowering it schedules a catch-up pass. */
  setDeliveryThreshold(threshold: DeliveryThreshold): void {
    this.event({ type: 'threshold', threshold });
  }

  /** While on, the token drains the GROUPS queue instead of the normal one (design 7.6). */
  useGroupsQueue(on: boolean): void {
    this.event({ type: 'useGroupsQueue', on });
  }

  /** Drops the GROUPS messages not yet started. */
  clearGroupsQueue(): void {
    this.event({ type: 'clearGroupsQueue' });
  }

  /**
   * Applies a partition vector (design 9.3): one cell number per configured daemon in
   * configuration order; datagrams from daemons of other cells are dropped. undefined clears it.
   */
  setPartition(cells: PartitionCells | undefined): void {
    if (cells !== undefined) {
      const problem = partitionProblem(cells, this.config.daemons.length);
      if (problem !== undefined) throw new RangeError(problem);
    }
    this.partition = cells === undefined ? undefined : [...cells];
    this.log('info', cells === undefined ? 'partition cleared' : `partition ${cells.join(' ')}`);
  }

  /** Monitor flow control (design 4, 9.1): takes effect at this daemon's next token visit. */
  setFlowControl(fc: Partial<FlowControlValues>): void {
    this.core.setFlowControl(fc);
  }

  get flowControl(): FlowControlValues {
    return this.core.flowControl;
  }

  /** An event from outside: stepped now, or right after the actions being performed. */
  private event(e: RingEvent): void {
    if (this.state !== 'running') return;
    if (this.performing) {
      this.deferred.push(e);
      return;
    }
    this.step(e);
  }

  /** Hands monitor control packets arriving on the data port to `cb`, with their source address. */
  onControl(cb: (bytes: Buffer, fromAddress: string) => void): void {
    this.controlCallback = cb;
  }

  /** Sends a monitor reply from the data port. */
  sendControl(bytes: Uint8Array, port: number, address: string): void {
    this.dataSocket?.send(bytes, port, address);
  }

  /** Registers a delivery callback (messages and configuration changes); returns a function that removes it. */
  onDeliver(cb: DeliverCallback): () => void {
    this.deliverCallbacks.push(cb);
    return () => {
      const i = this.deliverCallbacks.indexOf(cb);
      if (i >= 0) this.deliverCallbacks.splice(i, 1);
    };
  }

  /** Called when the membership algorithm starts running (state leaves OP) and when a ring is installed again. */
  onMembership(cb: (running: boolean) => void): void {
    this.membershipCallbacks.push(cb);
  }

  /** Called whenever the token is lost (the membership algorithm starts over). */
  onTokenLost(cb: () => void): void {
    this.tokenLostCallbacks.push(cb);
  }

  get downQueueLength(): number {
    let n = this.core.downQueueLength;
    for (const e of this.deferred) if (e.type === 'submit' && e.queue !== 'groups') n++;
    return n;
  }

  status(): RingDriverStatus {
    return { ...this.core.status(), driver: { ...this.counters }, partition: this.partition };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.timers.clear();
    this.dataQueue.clear();
    this.tokenQueue.clear();
    this.deferred = [];
    await this.closeSockets();
  }

  // ---------------------------------------------------------------------------------------------

  private received(channel: Channel, msg: Buffer, fromAddress: string): void {
    if (this.state !== 'running') return;
    this.counters.datagramsIn++;
    if (this.auth !== undefined) {
      const body = this.auth.open(msg);
      if (body === undefined) {
        this.counters.authFailures++;
        return this.drop(`datagram from ${fromAddress} fails the daemon key check`);
      }
      msg = body;
    }
    const env = screenDatagram(this.core.state.params, msg, channel);
    if (typeof env === 'string') {
      this.warnForeignConfiguration(msg, fromAddress);
      return this.drop(env);
    }
    // Spread checks the source address of every datagram against the configuration (2.5).
    if (this.byId.get(env.transmitter)!.address !== fromAddress) {
      return this.drop(`datagram from ${fromAddress} claims daemon ${env.transmitter}`);
    }
    if (!sameCell(this.partition, this.myIndex, this.indexOf.get(env.transmitter)!)) {
      this.counters.partitioned++;
      return;
    }
    (channel === 'data' ? this.dataQueue : this.tokenQueue).push(msg);
    if (channel === 'data' ? this.tokenQueue.length === 0 : this.tokenMissesNothing(msg)) {
      // Nothing to wait for, so no turn of the event loop to lose: a data datagram with no token
      // queued (data goes first anyway), or a token for which no data is queued and I hold every
      // packet it counts.
      this.drain();
      return;
    }
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  /**
   * A regular token whose seq I have all packets up to, with no data datagram queued: taking it
   * at once saves a turn of the event loop on every hop of an idle or lightly loaded ring. Any
   * other token waits for the turn's data datagrams to be read first (design 1.5).
   */
  private tokenMissesNothing(msg: Buffer): boolean {
    const s = this.core.state;
    return (
      this.dataQueue.length === 0 &&
      s.memberState === 'OP' &&
      msg.length >= TOKEN_HEADER_BYTES &&
      msg[KIND_OFFSET] === DatagramKind.TOKEN &&
      peekTokenSeq(msg) <= s.myAru
    );
  }

  /**
   * Says once per daemon and hash why a configured daemon's datagrams are dropped: it runs
   * another spread.conf (the configuration hash differs), as during a reload or a mistake.
   */
  private warnForeignConfiguration(msg: Buffer, fromAddress: string): void {
    const env = peekEnvelope(msg);
    if (typeof env === 'string' || env.configHash === this.config.configHash >>> 0) return;
    const d = this.byId.get(env.transmitter);
    const key = `${env.transmitter}/${env.configHash}`;
    if (d === undefined || d.address !== fromAddress || this.foreignWarned.has(key)) return;
    this.foreignWarned.add(key);
    this.log('warn', `${d.name} sends with configuration hash ${env.configHash.toString(16)}, mine is ${(this.config.configHash >>> 0).toString(16)}: ` +
      'it runs another spread.conf; its datagrams are dropped until both run the same file');
  }

  private drop(reason: string): void {
    this.counters.dropped++;
    this.log('debug', `dropped: ${reason}`);
  }

  /** One turn: all queued data, then one token (the token first while the Accelerated Ring asks). */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (this.state !== 'running') return;
    for (;;) {
      if (this.tokenFirst && this.tokenQueue.length > 0) {
        this.step({ type: 'token', bytes: this.tokenQueue.shift() });
        continue;
      }
      if (this.dataQueue.length > 0) {
        this.step({ type: 'data', bytes: this.dataQueue.shift() });
        continue;
      }
      if (this.tokenQueue.length > 0) this.step({ type: 'token', bytes: this.tokenQueue.shift() });
      break;
    }
    if ((this.dataQueue.length > 0 || this.tokenQueue.length > 0) && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  };

  private step(event: RingEvent): void {
    if (this.state !== 'running') return;
    this.perform(this.core.step(event));
  }

  private perform(actions: RingAction[]): void {
    this.performing = true;
    try {
      for (const a of actions) this.act(a);
    } finally {
      this.performing = false;
    }
    while (this.deferred.length > 0 && this.state === 'running') {
      const batch = this.deferred;
      this.deferred = [];
      for (const e of batch) this.step(e);
    }
    const running = this.core.state.memberState !== 'OP';
    if (running !== this.membershipRunning) {
      this.membershipRunning = running;
      for (const cb of this.membershipCallbacks) cb(running);
    }
  }

  private act(a: RingAction): void {
    switch (a.type) {
      case 'broadcast': {
        const bytes = this.signed(a.bytes);
        for (const p of this.peers) this.send(bytes, p.port, p.address);
        return;
      }
      case 'unicast': {
        const d = this.byId.get(a.to);
        if (d !== undefined) this.send(this.signed(a.bytes), d.port, d.address);
        return;
      }
      case 'sendToken': {
        const d = this.byId.get(a.to);
        if (d !== undefined) this.send(this.signed(a.bytes), d.port + 1, d.address);
        return;
      }
      case 'setTimer':
        this.timers.set(a.name, a.ms);
        return;
      case 'cancelTimer':
        this.timers.cancel(a.name);
        return;
      case 'deliver':
        return this.upcall(a.delivery);
      case 'transitional':
        this.log('info', `transitional configuration ${formatRingId(a.configId)}: ${this.names(a.members)}`);
        return this.upcall(a);
      case 'regular':
        this.log('info', `regular configuration ${formatRingId(a.ringId)}: ${this.names(a.members)}`);
        return this.upcall(a);
      case 'tokenLost':
        this.log('info', `token lost in ${a.state} on ring ${formatRingId(this.core.state.ring.ringId)}; membership starts`);
        for (const cb of this.tokenLostCallbacks) cb();
        return;
      case 'tokenPriority':
        this.tokenFirst = a.tokenFirst;
        return;
      case 'trace':
        if (a.record.kind === 'anomaly') this.log('error', `ring anomaly: ${a.record.reason}`);
        else this.log('debug', JSON.stringify(a.record));
        return;
    }
  }

  private upcall(u: RingUpcall): void {
    for (const cb of this.deliverCallbacks) {
      try {
        cb(u);
      } catch (err) {
        this.log('error', `delivery callback threw: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private names(ids: ReadonlyArray<number>): string {
    return ids.map((id) => this.byId.get(id)?.name ?? String(id)).join(' ');
  }

  /** The datagram with its daemon key tag (one HMAC per datagram, however many receivers). */
  private signed(bytes: Uint8Array): Uint8Array | Uint8Array[] {
    return this.auth === undefined ? bytes : [bytes, this.auth.tag(bytes)];
  }

  private send(bytes: Uint8Array | Uint8Array[], port: number, address: string): void {
    const s = this.sendSockets.get(destination(address, port));
    if (s === undefined) return;
    this.counters.datagramsOut++;
    s.send(bytes);
  }

  private log(level: RingLogLevel, message: string): void {
    this.logger?.log(level, `[ring ${this.self.name}] ${message}`);
  }

  private async closeSockets(): Promise<void> {
    const sockets = [this.dataSocket, this.tokenSocket, ...this.sendSockets.values()];
    this.dataSocket = this.tokenSocket = undefined;
    this.sendSockets.clear();
    await Promise.all(sockets.map((s) => (s === undefined ? undefined : new Promise<void>((r) => s.close(() => r())))));
  }
}

function destination(address: string, port: number): string {
  return `${address}|${port}`;
}

function bindSocket(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const fail = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', fail);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', fail);
      try {
        s.setRecvBufferSize(SOCKET_BUFFER_BYTES);
        s.setSendBufferSize(SOCKET_BUFFER_BYTES);
      } catch {
        // the kernel caps these (net.core.rmem_max); the defaults still work
      }
      resolve(s);
    });
  });
}
