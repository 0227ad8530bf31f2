// Programmatic entry point: start a daemon in this process (tests, examples, embedding).
import { readFile } from 'node:fs/promises';
import { parseConfig, findSelf } from './config/index.ts';
import type { SpreadConfig } from './config/model.ts';
import { silentLog, type DaemonLog } from './logging.ts';
import { DaemonNode } from './node.ts';

export { DaemonNode } from './node.ts';
export type { DaemonLog } from './logging.ts';

export interface StartDaemonOptions {
  /** spread.conf contents (alternatively configPath or config). */
  readonly configText?: string;
  readonly configPath?: string;
  readonly config?: SpreadConfig;
  /** Which configured daemon this is (-n); default: the first with a local address. */
  readonly procName?: string;
  /** TCP port for clients; default the configured port; 0 picks a free one. */
  readonly port?: number;
  /** Unix socket path; default /tmp/<port>; false for none. */
  readonly unixSocketPath?: string | false;
  readonly maxSessionMessages?: number;
  /** Session quota (default 997, MAX_SESSIONS). */
  readonly maxSessions?: number;
  /** How long a new connection may take to complete its handshake (default 1000 ms). */
  readonly handshakeTimeoutMs?: number;
  readonly log?: DaemonLog;
  /** Serve Prometheus metrics on this port (0: any free one; see node.metricsPort); none by default. */
  readonly metricsPort?: number;
  /** Address of the metrics endpoint; default the daemon's own address. */
  readonly metricsHost?: string;
}

export interface RunningDaemon {
  readonly daemonName: string;
  readonly tcpPort: number;
  readonly unixSocketPath: string | undefined;
  readonly node: DaemonNode;
  /**
   * Re-reads the configuration (the file started from, or `configText`) and hands it to the
   * running daemon (SIGHUP, the monitor's reload); resolves whether it was taken.
   */
  reload(configText?: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function resolveConfig(opts: StartDaemonOptions): Promise<SpreadConfig> {
  if (opts.config !== undefined) return opts.config;
  if (opts.configText !== undefined) return parseConfig(opts.configText, '<text>');
  if (opts.configPath !== undefined) return parseConfig(await readFile(opts.configPath, 'utf8'), opts.configPath);
  throw new TypeError('startDaemon needs configText, configPath or config');
}

export async function startDaemon(opts: StartDaemonOptions): Promise<RunningDaemon> {
  const config = await resolveConfig(opts);
  const self = findSelf(config, opts.procName);
  const node = new DaemonNode({
    config,
    self,
    port: opts.port,
    unixSocketPath: opts.unixSocketPath,
    log: opts.log ?? silentLog,
    maxSessionMessages: opts.maxSessionMessages,
    maxSessions: opts.maxSessions,
    handshakeTimeoutMs: opts.handshakeTimeoutMs,
    metricsPort: opts.metricsPort,
    metricsHost: opts.metricsHost,
    loadConfig: opts.configPath !== undefined ? () => resolveConfig({ configPath: opts.configPath }) : undefined,
  });
  await node.start();
  return {
    daemonName: self.name,
    tcpPort: node.tcpPort,
    unixSocketPath: node.unixSocketPath,
    node,
    reload: (configText) => (configText !== undefined ? node.reload(() => resolveConfig({ configText })) : node.reloadFile()),
    stop: () => node.stop(),
  };
}
