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
import { DaemonMetrics, startMetricsServer, type MetricsServer } from './metrics/index.ts';
import type { FlowControlValues, RingUpcall } from './ring/index.ts';
import { LocalOrderer, type Orderer } from './orderer.ts';
import { RingOrderer } from './ring-orderer.ts';
import { loadAccessPolicy } from './auth/load.ts';
import { createTlsListener, tlsServerOptions } from './tls/listener.ts';
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
  /** Reads the configuration again (its file), for the monitor's reload. */
  readonly loadConfig?: () => Promise<SpreadConfig>;
  /** Called when the monitor terminates this daemon; default: stop it. */
  readonly onTerminate?: () => void;
  /** Serve Prometheus metrics over HTTP on this port (0: any free one); none when undefined. */
  readonly metricsPort?: number;
  /** Address of the metrics endpoint; default the daemon's own address. */
  readonly metricsHost?: string;
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
  private tlsBoundPort = -1;
  readonly control: ControlChannel;
  /** A lone daemon has no ring driver: monitor packets come to this socket on its data port. */
  private controlSocket: UdpSocket | undefined;
  private unixPath: string | undefined;
  readonly startedAt = Date.now();
  /** Flow control of a lone daemon, which has no ring to hold it (the monitor may still set it). */
  private loneFlowControl: FlowControlValues;
  readonly metrics: DaemonMetrics | undefined;
  private metricsServer: MetricsServer | undefined;

  /** The configuration in force: the one started with, or the last one reloaded. */
  private config: SpreadConfig;
  /** Daemon name -> configuration order, for the group layer's member order. */
  private daemonOrder: Map<string, number>;

  constructor(private readonly opts: DaemonNodeOptions) {
    const { config, self } = opts;
    this.config = config;
    this.daemonOrder = new Map(config.daemons.map((d) => [d.name, d.order]));
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
    this.groups = new GroupTable<Session>(
      {
        selfDaemon: self.name,
        daemonOrder: (name) => this.daemonOrder.get(name) ?? Number.MAX_SAFE_INTEGER,
        wantsMembership: (h) => (h as Session).membership,
      },
      ringId,
    );
    this.orderer =
      opts.orderer ?? (this.ring !== undefined ? new RingOrderer(this.ring, (ids) => ids.map((id) => this.daemonName(id))) : new LocalOrderer());
    this.control = new ControlChannel(config, self, opts.log, {
      status: () => this.statusRecord(),
      send: (bytes, port, address) => (this.ring !== undefined ? this.ring.sendControl(bytes, port, address) : this.controlSocket?.send(bytes, port, address)),
      setPartition: (cells) => this.ring?.setPartition(cells),
      setFlowControl: (fc) => this.setFlowControl(fc),
      terminate: () => (opts.onTerminate ?? (() => void this.stop()))(),
      reload: () => this.reloadFile(),
    });
    this.loneFlowControl = { window: config.window, personalWindow: config.personalWindow, acceleratedWindow: Math.min(config.acceleratedWindow, config.personalWindow) };
    this.ring?.onControl((bytes, from) => this.control.onDatagram(bytes, from));
    if (config.eventPriorities) this.ring?.onMembership((running) => this.sessions.setMembershipRunning(running));
    if (this.ring !== undefined) this.logMembership(this.ring);
    if (opts.metricsPort !== undefined) {
      this.metrics = new DaemonMetrics({
        status: () => this.statusRecord(),
        sessionQueues: () => this.sessions.queueDepths(),
        downQueueLength: () => this.orderer.downQueueLength,
      });
    }
    this.sessions = new SessionLayer({
      daemonName: self.name,
      daemonVersion: SPREAD_VERSION,
      maxSessionMessages: opts.maxSessionMessages ?? config.maxSessionMessages,
      maxSessions: opts.maxSessions,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      access: loadAccessPolicy(config),
      orderer: this.orderer,
      groups: this.groups,
      log: opts.log,
      random: () => randomInt(0, 1 << 30) / (1 << 30),
      now: () => Date.now(),
      deliveryLatency: this.metrics?.latency,
    });
  }

  /** Flow control now in force (design 4). */
  get flowControl(): FlowControlValues {
    return this.ring?.flowControl ?? this.loneFlowControl;
  }

  /** Monitor flow control: the ring applies it at this daemon's next token visit. */
  setFlowControl(fc: Partial<FlowControlValues>): void {
    if (this.ring !== undefined) return this.ring.setFlowControl(fc);
    const cur = this.loneFlowControl;
    const personalWindow = fc.personalWindow ?? cur.personalWindow;
    this.loneFlowControl = {
      window: fc.window ?? cur.window,
      personalWindow,
      acceleratedWindow: Math.min(fc.acceleratedWindow ?? cur.acceleratedWindow, personalWindow),
    };
  }

  /** MEMBERSHIP log lines from the ring's configuration changes (only when that category is on). */
  private logMembership(ring: RingDriver): void {
    const log = this.opts.log;
    if (!log.enabled('MEMBERSHIP')) return;
    const names = (ids: ReadonlyArray<number>): string => ids.map((id) => this.daemonName(id)).join(' ');
    ring.onTokenLost(() => log.log('MEMBERSHIP', 'INFO', 'token lost: membership starts (gather)'));
    ring.onDeliver((u: RingUpcall) => {
      if (u.type === 'regular') log.log('MEMBERSHIP', 'INFO', `installed ring ${u.ringId.procId}.${u.ringId.time}: ${names(u.members)}`);
      else if (u.type === 'transitional') log.log('MEMBERSHIP', 'INFO', `transitional configuration ${u.configId.procId}.${u.configId.time}: ${names(u.members)}`);
    });
  }

  /** A daemon's name from its id, in the configuration in force (its id when unknown). */
  private daemonName(id: number): string {
    return this.config.daemons.find((d) => d.id === id)?.name ?? String(id);
  }

  /**
   * Reloads spread.conf (SIGHUP or the monitor, as Spread 4 does): the ring takes the new file
   * and runs the membership algorithm, so that daemons added join and daemons removed leave while
   * clients stay connected. A file that does not parse, or that this daemon cannot take without a
   * restart (its own name, id, address or port changed; to or from one daemon), is refused with
   * a log line and the configuration in force stays. Resolves whether the new file was taken.
   */
  /** Reloads the file this daemon was started from (SIGHUP, the monitor's reload). */
  reloadFile(): Promise<boolean> {
    return this.reload(this.opts.loadConfig ?? (() => Promise.reject(new Error('this daemon was not started from a file'))));
  }

  async reload(load: () => Promise<SpreadConfig>): Promise<boolean> {
    const log = this.opts.log;
    const refuse = (why: string): boolean => {
      log.log('CONFIGURATION', 'ERROR', `reload refused: ${why}; the configuration in force stays`);
      return false;
    };
    let config: SpreadConfig;
    try {
      config = await load();
    } catch (err) {
      return refuse(err instanceof Error ? err.message : String(err));
    }
    if (this.ring === undefined || config.daemons.length < 2) return refuse('going to or from a one-daemon configuration needs a restart');
    let access: ReturnType<typeof loadAccessPolicy>;
    try {
      access = loadAccessPolicy(config); // the access list is read again, before anything changes
      await this.ring.reconfigure(config);
    } catch (err) {
      return refuse(err instanceof Error ? err.message : String(err));
    }
    this.sessions.setAccessPolicy(access);
    this.config = config;
    this.daemonOrder = new Map(config.daemons.map((d) => [d.name, d.order]));
    this.control.reconfigure(config);
    log.log('CONFIGURATION', 'INFO', `configuration reloaded from ${config.source}: ${config.daemons.map((d) => d.name).join(' ')}`);
    return true;
  }

  get tcpPort(): number {
    return this.boundPort;
  }

  /** The TLS client port, when TlsPort is configured. */
  get tlsPort(): number | undefined {
    return this.tlsBoundPort >= 0 ? this.tlsBoundPort : undefined;
  }

  get unixSocketPath(): string | undefined {
    return this.unixPath;
  }

  /** The status record of the guide's Figure 2.9 (design 9.2). */
  statusRecord(): StatusRecord {
    const { self } = this.opts;
    const config = this.config;
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
      ...this.flowControl,
      messagesDelivered: this.sessions.counters.messagesDelivered,
      packetsDelivered: r?.counters.messagesDelivered ?? this.sessions.counters.messagesDelivered,
      droppedDatagrams: (r?.driver.dropped ?? 0) + this.control.refused,
    };
  }

  async start(): Promise<void> {
    const { config, self, log } = this.opts;
    // Read before anything is bound, so a missing certificate leaves nothing half started.
    const tlsOptions = config.tls === undefined ? undefined : await tlsServerOptions(config.tls);
    log.log('CONFIGURATION', 'INFO', `${config.daemons.length} daemons in ${config.segments.length} segments, configuration hash ${(config.configHash >>> 0).toString(16)}; I am ${self.name} (${self.address}:${self.port})`);
    if (this.ring !== undefined) await this.ring.start();
    else await this.openControlSocket();
    if (this.ring !== undefined) log.log('DATA_LINK', 'INFO', `data port ${self.port} and token port ${self.port + 1} bound on ${self.address}`);
    else if (this.controlSocket !== undefined) log.log('DATA_LINK', 'INFO', `monitor port ${self.port} bound on ${self.address} (a lone daemon: no ring)`);
    const fc = this.flowControl;
    log.log('FLOW_CONTROL', 'INFO', `window ${fc.window}, personal window ${fc.personalWindow}, accelerated window ${fc.acceleratedWindow}`);
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
    if (config.tls !== undefined && tlsOptions !== undefined) {
      for (const host of clientAddresses(self)) {
        const server = createTlsListener(tlsOptions, {
          onClient: (socket) => this.onConnection(socket),
          onRefused: (reason, from) => log.log('SECURITY', 'WARNING', `TLS client ${from ?? '?'} refused: ${reason}`),
        });
        server.on('error', (err) => log.log('SESSION', 'ERROR', `TLS listener error: ${err.message}`));
        await listen(server, { port: config.tls.port, host });
        this.servers.push(server);
      }
      this.tlsBoundPort = config.tls.port;
      log.log('SESSION', 'INFO', `TLS clients on port ${config.tls.port}${config.tls.requireClientCertificate ? ' (client certificate required)' : ''}`);
    }
    this.opts.log.log(
      'SESSION',
      'INFO',
      `daemon ${this.opts.self.name} accepting clients on port ${this.boundPort}${this.unixPath ? ` and ${this.unixPath}` : ''}`,
    );
    if (this.metrics !== undefined) {
      this.metricsServer = await startMetricsServer(this.metrics, this.opts.metricsHost ?? self.address, this.opts.metricsPort ?? 0);
      log.log('STATUS', 'INFO', `Prometheus metrics on http://${this.metricsServer.host}:${this.metricsServer.port}/metrics`);
    }
    log.log('PRINT', 'PRINT', `Spread daemon ${self.name} V${DAEMON_VERSION_TEXT} running`);
  }

  /** The metrics endpoint's port, when one is open. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
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
    const s = this.sessions.accept(socket, peer, socket.remoteAddress);
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
    this.opts.log.log('EXIT', 'INFO', `daemon ${this.opts.self.name} stopping`);
    this.control.close();
    await this.metricsServer?.close();
    this.metricsServer = undefined;
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
