// The UDP adapter of the ring core (design 1.5, 2.5, 2.6, 11): binds one daemon's data port P
// and token port P+1 on its configured address, sends from a socket bound to that address, runs
// the core's named timers, and feeds the core datagrams with Spread's priorities: every queued
// data datagram before the token on each turn of the event loop, reversed while the Accelerated
// Ring asks for token priority. It holds no protocol rule.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import { RingCore, screenDatagram } from '../ring/index.ts';
import { formatRingId } from '../wire/types.ts';
import type { RingAction, RingDelivery, RingEvent, RingMessage, RingStatus, RingTimerName } from '../ring/index.ts';
import { NamedTimers } from './ring-timers.ts';

export type RingLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RingLogger {
  log(level: RingLogLevel, message: string): void;
}

export interface RingDriverOptions {
  readonly config: SpreadConfig;
  readonly self: DaemonSpec;
  /** The ring's members; default every configured daemon. Until membership exists all members must agree. */
  readonly members?: ReadonlyArray<DaemonSpec>;
  /** Time part of the ring id {leader id, time}; all members must use the same (default 1). */
  readonly ringTime?: number;
  readonly logger?: RingLogger;
  /** Verbose core trace records (token visits, drops) to the logger at debug level. */
  readonly trace?: boolean;
}

export interface RingDriverCounters {
  datagramsIn: number;
  datagramsOut: number;
  /** Dropped before the core: bad envelope, hash, unknown or own transmitter, wrong source address. */
  dropped: number;
  sendErrors: number;
}

export interface RingDriverStatus extends RingStatus {
  readonly driver: Readonly<RingDriverCounters>;
}

export type DeliverCallback = (delivery: RingDelivery) => void;

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
  private readonly config: SpreadConfig;
  private readonly self: DaemonSpec;
  private readonly members: ReadonlyArray<DaemonSpec>;
  private readonly ringTime: number;
  private readonly logger: RingLogger | undefined;
  private readonly core: RingCore;
  private readonly byId = new Map<number, DaemonSpec>();
  /** Everyone a segment broadcast reaches: every other configured daemon (design 2.6, deviation). */
  private readonly peers: ReadonlyArray<DaemonSpec>;
  private readonly timers: NamedTimers<RingTimerName>;
  private readonly dataQueue = new DatagramQueue();
  private readonly tokenQueue = new DatagramQueue();
  private readonly deliverCallbacks: DeliverCallback[] = [];
  private readonly tokenLostCallbacks: Array<() => void> = [];
  private readonly counters: RingDriverCounters = { datagramsIn: 0, datagramsOut: 0, dropped: 0, sendErrors: 0 };
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
  private deferred: RingMessage[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(options: RingDriverOptions) {
    this.config = options.config;
    this.self = options.self;
    this.ringTime = options.ringTime ?? 1;
    this.logger = options.logger;
    for (const d of this.config.daemons) this.byId.set(d.id >>> 0, d);
    if (this.byId.get(this.self.id >>> 0) === undefined) throw new RangeError(`daemon ${this.self.name} is not configured`);
    const members = options.members ?? this.config.daemons;
    this.members = [...members].sort((a, b) => a.order - b.order);
    if (!this.members.some((m) => m.id === this.self.id)) throw new RangeError(`daemon ${this.self.name} is not a ring member`);
    for (const m of this.members) {
      if (this.byId.get(m.id >>> 0) === undefined) throw new RangeError(`ring member ${m.name} is not configured`);
    }
    this.peers = this.config.daemons.filter((d) => d.id !== this.self.id);
    this.core = RingCore.fromConfig(this.config, this.self.id, { trace: options.trace === true });
    this.timers = new NamedTimers((name) => this.step({ type: 'timer', name }));
  }

  /** Binds the sockets and installs the ring; the leader starts the token at once. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`ring driver already ${this.state}`);
    this.state = 'starting';
    const type = isIPv6(this.self.address) ? 'udp6' : 'udp4';
    try {
      this.dataSocket = await bindSocket(type, this.self.address, this.self.port);
      this.tokenSocket = await bindSocket(type, this.self.address, this.self.port + 1);
      for (const d of this.config.daemons) {
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
        }
      }
    } catch (err) {
      await this.closeSockets();
      this.state = 'stopped';
      throw err;
    }
    this.dataSocket.on('message', (msg, rinfo) => this.received('data', msg, rinfo.address));
    this.tokenSocket.on('message', (msg, rinfo) => this.received('token', msg, rinfo.address));
    for (const s of [this.dataSocket, this.tokenSocket]) s.on('error', (err) => this.log('error', `socket error: ${err.message}`));
    for (const s of this.sendSockets.values()) {
      // e.g. ECONNREFUSED after an ICMP port unreachable: the peer is down; the protocol copes
      s.on('error', (err) => {
        this.counters.sendErrors++;
        this.log('debug', `send failed: ${err.message}`);
      });
    }
    this.state = 'running';
    this.log('info', `ring driver ${this.self.name} on ${this.self.address}:${this.self.port}/${this.self.port + 1}; ` +
      `segment broadcast as unicast to ${this.peers.length} daemon(s)`);
    const leader = this.members[0]!;
    this.perform(this.core.install({ ringId: { procId: leader.id >>> 0, time: this.ringTime }, members: this.members.map((m) => m.id >>> 0) }));
  }

  /** Queues a message for the ring (the caller maps client services to packet classes). */
  submit(message: RingMessage): void {
    if (this.state !== 'running') throw new Error(`ring driver is ${this.state}`);
    if (this.performing) {
      // submitted from inside a delivery callback: after the current actions, not in their middle
      this.deferred.push(message);
      return;
    }
    this.step({ type: 'submit', message });
  }

  /** Registers a delivery callback; returns a function that removes it. */
  onDeliver(cb: DeliverCallback): () => void {
    this.deliverCallbacks.push(cb);
    return () => {
      const i = this.deliverCallbacks.indexOf(cb);
      if (i >= 0) this.deliverCallbacks.splice(i, 1);
    };
  }

  /** Called when the token timeout fires (until the membership module takes over, the ring is dead). */
  onTokenLost(cb: () => void): void {
    this.tokenLostCallbacks.push(cb);
  }

  get downQueueLength(): number {
    return this.core.downQueueLength + this.deferred.length;
  }

  status(): RingDriverStatus {
    return { ...this.core.status(), driver: { ...this.counters } };
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
    const env = screenDatagram(this.core.state.params, msg, channel);
    if (typeof env === 'string') return this.drop(env);
    // Spread checks the source address of every datagram against the configuration (2.5).
    if (this.byId.get(env.transmitter)!.address !== fromAddress) {
      return this.drop(`datagram from ${fromAddress} claims daemon ${env.transmitter}`);
    }
    (channel === 'data' ? this.dataQueue : this.tokenQueue).push(msg);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
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
      for (const m of batch) this.step({ type: 'submit', message: m });
    }
  }

  private act(a: RingAction): void {
    switch (a.type) {
      case 'broadcast':
        for (const p of this.peers) this.send(a.bytes, p.port, p.address);
        return;
      case 'unicast': {
        const d = this.byId.get(a.to);
        if (d !== undefined) this.send(a.bytes, d.port, d.address);
        return;
      }
      case 'sendToken': {
        const d = this.byId.get(a.to);
        if (d !== undefined) this.send(a.bytes, d.port + 1, d.address);
        return;
      }
      case 'setTimer':
        this.timers.set(a.name, a.ms);
        return;
      case 'cancelTimer':
        this.timers.cancel(a.name);
        return;
      case 'deliver':
        for (const cb of this.deliverCallbacks) {
          try {
            cb(a.delivery);
          } catch (err) {
            this.log('error', `delivery callback threw: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        return;
      case 'tokenLost':
        this.log('warn', `token lost on ring ${formatRingId(this.core.state.ring.ringId)}; membership is not implemented yet: the ring stops`);
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

  private send(bytes: Uint8Array, port: number, address: string): void {
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
