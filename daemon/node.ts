// The daemon shell: binds the session layer, the group layer and an orderer to client sockets
// (TCP and the Unix socket). It loops; it decides nothing.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmod, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { SPREAD_VERSION } from '../client/wire/index.ts';
import type { DaemonSpec, SpreadConfig } from './config/model.ts';
import { GroupTable, type RingId } from './groups/group-table.ts';
import type { DaemonLog } from './logging.ts';
import { RingDriver, type RingLogLevel } from './net/ring-driver.ts';
import { ControlChannel, DAEMON_VERSION_TEXT } from './monitor/control-channel.ts';
import type { StatusRecord } from './monitor/status.ts';
import { LocalOrderer, type Orderer } from './orderer.ts';
import { RingOrderer } from './ring-orderer.ts';
import { type Session } from './session/session.ts';
import { SessionLayer } from './session/session-layer.ts';

export interface DaemonNodeOptions {
  readonly config: SpreadConfig;
  readonly self: DaemonSpec;
  /** TCP port for clients; default the daemon's configured port; 0 picks a free one. */
  readonly port?: number;
  /** Unix socket path; default /tmp/<port> (see unixSocketPathFor); false for none. */
  readonly unixSocketPath?: string | false;
  readonly log: DaemonLog;
  readonly maxSessionMessages?: number;
  readonly maxSessions?: number;
  readonly handshakeTimeoutMs?: number;
  readonly orderer?: Orderer;
  /** Called when the monitor terminates this daemon; default: stop it. */
  readonly onTerminate?: () => void;
}

/**
 * `/tmp/<port>` as Spread names it, except that on a host running several daemons of one
 * segment only the daemon on 127.0.0.1 (or the first) takes it and the others get
 * `/tmp/<port>-<name>` (design 2.6), so no daemon steals another's socket.
 */
export function unixSocketPathFor(config: SpreadConfig, self: DaemonSpec, port: number): string {
  const sameHostPeers = config.daemons.filter((d) => d.port === self.port && d !== self);
  const shares = sameHostPeers.length > 0 && config.daemons.every((d) => d.address.startsWith('127.'));
  if (!shares) return `/tmp/${port}`;
  const owner = config.daemons.find((d) => d.address === '127.0.0.1') ?? config.daemons[0]!;
  return owner === self ? `/tmp/${port}` : `/tmp/${port}-${self.name}`;
}

/** Addresses the client listener binds: the daemon's C interfaces, or all interfaces. */
function clientAddresses(self: DaemonSpec): string[] {
  const c = self.interfaces.filter((i) => i.roles.has('C')).map((i) => i.address);
  return c.length > 0 ? c : ['0.0.0.0'];
}

export class DaemonNode {
  readonly sessions: SessionLayer;
  readonly groups: GroupTable<Session>;
  readonly orderer: Orderer;
  /** The ring, when the configuration has more than one daemon. */
  readonly ring: RingDriver | undefined;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private boundPort = -1;
  readonly control: ControlChannel;
  /** A lone daemon has no ring driver: monitor packets come to this socket on its data port. */
  private controlSocket: UdpSocket | undefined;
  private unixPath: string | undefined;
  readonly startedAt = Date.now();

  constructor(private readonly opts: DaemonNodeOptions) {
    const { config, self } = opts;
    if (opts.orderer === undefined && config.daemons.length > 1) {
      this.ring = new RingDriver({
        config,
        self,
        // Each new ring starts blocked; the group layer opens delivery once it knows whether a
        // GROUPS exchange must run first (design 7.6-7.7).
        installThreshold: 'BLOCK',
        logger: { log: (level, message) => opts.log.log('PROTOCOL', RING_LEVELS[level], message) },
      });
    }
    // Group ids name the daemon configuration the view was installed in. Every daemon starts
    // alone, in a configuration of its own; the ring's configuration events take over from there.
    const ringId: RingId = { procId: self.id, time: Math.floor(this.startedAt / 1000) };
    const order = new Map(config.daemons.map((d) => [d.name, d.order]));
    this.groups = new GroupTable<Session>(
      {
        selfDaemon: self.name,
        daemonOrder: (name) => order.get(name) ?? Number.MAX_SAFE_INTEGER,
        wantsMembership: (h) => (h as Session).membership,
      },
      ringId,
    );
    const byId = new Map(config.daemons.map((d) => [d.id, d.name]));
    this.orderer =
      opts.orderer ??
      (this.ring !== undefined ? new RingOrderer(this.ring, (ids) => ids.map((id) => byId.get(id) ?? String(id))) : new LocalOrderer());
    this.control = new ControlChannel(config, self, opts.log, {
      status: () => this.statusRecord(),
      send: (bytes, port, address) => (this.ring !== undefined ? this.ring.sendControl(bytes, port, address) : this.controlSocket?.send(bytes, port, address)),
      setPartition: (cells) => this.ring?.setPartition(cells),
      terminate: () => (opts.onTerminate ?? (() => void this.stop()))(),
    });
    this.ring?.onControl((bytes, from) => this.control.onDatagram(bytes, from));
    if (config.eventPriorities) this.ring?.onMembership((running) => this.sessions.setMembershipRunning(running));
    this.sessions = new SessionLayer({
      daemonName: self.name,
      daemonVersion: SPREAD_VERSION,
      maxSessionMessages: opts.maxSessionMessages ?? config.maxSessionMessages,
      maxSessions: opts.maxSessions,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      allowedAuthMethods: config.allowedAuthMethods,
      requiredAuthMethods: config.requiredAuthMethods,
      orderer: this.orderer,
      groups: this.groups,
      log: opts.log,
      random: () => randomInt(0, 1 << 30) / (1 << 30),
      now: () => Date.now(),
    });
  }

  get tcpPort(): number {
    return this.boundPort;
  }

  get unixSocketPath(): string | undefined {
    return this.unixPath;
  }

  /** The status record of the guide's Figure 2.9 (design 9.2). */
  statusRecord(): StatusRecord {
    const { config, self } = this.opts;
    const r = this.ring?.status();
    const name = (id: number): string => config.daemons.find((d) => d.id === id)?.name ?? String(id);
    const members = r?.members ?? [self.id];
    return {
      daemon: self.name,
      version: DAEMON_VERSION_TEXT,
      state: r?.state ?? 'OP',
      gstate: this.groups.state,
      uptimeSec: Math.floor((Date.now() - this.startedAt) / 1000),
      numProcs: members.length,
      numSegments: new Set(members.map((id) => config.daemons.find((d) => d.id === id)?.segmentIndex)).size,
      leader: name(r?.leader ?? self.id),
      acceleratedRing: config.acceleratedRing,
      tokenRounds: r?.tokenRounds ?? 0,
      tokenHurry: r?.counters.tokenHurries ?? 0,
      membershipChanges: r?.membershipChanges ?? 0,
      packetsSent: r?.counters.packetsSent ?? 0,
      packetsReceived: r?.counters.packetsReceived ?? 0,
      retrans: r?.counters.retransmissions ?? 0,
      uRetrans: 0,
      sRetrans: 0,
      bRetrans: r?.counters.retransmissions ?? 0,
      myAru: r?.myAru ?? 0,
      aru: r?.aru ?? 0,
      highestSeq: r?.highestSeq ?? 0,
      sessions: this.sessions.openSessionCount,
      groups: this.groups.groupCount,
      window: config.window,
      personalWindow: config.personalWindow,
      acceleratedWindow: config.acceleratedWindow,
      messagesDelivered: this.sessions.counters.messagesDelivered,
      packetsDelivered: r?.counters.messagesDelivered ?? this.sessions.counters.messagesDelivered,
      droppedDatagrams: (r?.driver.dropped ?? 0) + this.control.refused,
    };
  }

  async start(): Promise<void> {
    if (this.ring !== undefined) await this.ring.start();
    else await this.openControlSocket();
    const port = this.opts.port ?? this.opts.self.port;
    for (const host of clientAddresses(this.opts.self)) {
      const server = this.makeServer();
      await listen(server, { port: this.boundPort >= 0 ? this.boundPort : port, host });
      const addr = server.address();
      if (addr !== null && typeof addr === 'object') this.boundPort = addr.port;
      this.servers.push(server);
    }
    if (this.opts.unixSocketPath !== false) {
      const path = this.opts.unixSocketPath ?? unixSocketPathFor(this.opts.config, this.opts.self, this.boundPort);
      // Spread unlinks a stale socket file before binding (spec 1.1).
      await unlink(path).catch(() => {});
      const server = this.makeServer();
      await listen(server, { path });
      await chmod(path, 0o666);
      this.servers.push(server);
      this.unixPath = path;
    }
    this.opts.log.log(
      'SESSION',
      'INFO',
      `daemon ${this.opts.self.name} accepting clients on port ${this.boundPort}${this.unixPath ? ` and ${this.unixPath}` : ''}`,
    );
  }

  private makeServer(): Server {
    const server = createServer({ noDelay: true, keepAlive: true }, (socket) => this.onConnection(socket));
    server.on('error', (err) => this.opts.log.log('SESSION', 'ERROR', `listener error: ${err.message}`));
    return server;
  }

  private onConnection(socket: Socket): void {
    const peer = socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const s = this.sessions.accept(socket, peer);
    if (s === undefined) return;
    socket.on('data', (chunk: Buffer) => this.sessions.onData(s, chunk));
    socket.on('drain', () => this.sessions.onDrain(s));
    socket.on('end', () => this.sessions.onClosed(s, 'end of stream'));
    socket.on('error', (err) => this.sessions.onClosed(s, `socket error: ${err.message}`));
    socket.on('close', () => this.sessions.onClosed(s, 'socket closed'));
  }

  private async openControlSocket(): Promise<void> {
    const { self } = this.opts;
    const s = createSocket({ type: self.address.includes(':') ? 'udp6' : 'udp4' });
    s.on('message', (msg, rinfo) => this.control.onDatagram(msg, rinfo.address));
    s.on('error', (err) => this.opts.log.log('STATUS', 'ERROR', `monitor socket: ${err.message}`));
    const bound = await new Promise<boolean>((resolve) => {
      // A port taken by another daemon only costs the monitor; the daemon runs on.
      s.once('error', (err) => {
        this.opts.log.log('STATUS', 'WARNING', `no monitor socket on ${self.address}:${self.port}: ${err.message}`);
        resolve(false);
      });
      s.bind(self.port, self.address, () => resolve(true));
    });
    if (bound) this.controlSocket = s;
  }

  async stop(): Promise<void> {
    this.controlSocket?.close();
    this.controlSocket = undefined;
    await this.orderer.stop();
    this.sessions.closeAll();
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((srv) => new Promise<void>((r) => srv.close(() => r()))));
    this.servers.length = 0;
    if (this.unixPath !== undefined) await unlink(this.unixPath).catch(() => {});
  }
}

const RING_LEVELS: Readonly<Record<RingLogLevel, 'pDEBUG' | 'INFO' | 'WARNING' | 'ERROR'>> = {
  debug: 'pDEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
};

function listen(server: Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(where, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
