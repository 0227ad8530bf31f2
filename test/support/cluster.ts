// A cluster of N real daemon processes on loopback, for fault tests (membership, EVS, VS layer,
// replication) and the membership bench.
//
// Layout: one segment, daemon i (0-based) is `d{i+1}` on 127.0.0.{i+1} with `D` and `C`
// interfaces on that address, UDP ports P and P+1 there and its client TCP port P
// ("P@127.0.0.{i+1}"). The configuration always has DangerousMonitor = true (faults go through
// the monitor), plus `options` (default FAST_TIMEOUTS: the guide's timeouts / 10).
//
// API (daemons are numbered 0..N-1 in configuration order):
//   const c = await Cluster.start({ size: 5, port: 23000 });   // spawns every daemon, waits for one ring
//       options: options (config lines), waitForRing (default true), readyTimeoutMs (30 s),
//       startTimeoutMs (60 s for a daemon to open its client port: machines are loaded)
//   clusterConfig(size, port, options)  the configuration text alone
//   c.spread(i)                      "P@127.0.0.{i+1}", for SpreadConnection / EvsRecorder
//   c.name(i), c.host(i), c.running(i), c.up (indices running), c.output(i) (the daemon's
//                                    stdout and stderr so far, its tail)
//   c.config, c.confPath, c.timeouts (parsed from the file the daemons read)
//   await c.kill(i)                  kill -9; resolves once the process is gone
//   await c.restart(i)               spawn it again (same name), re-sending the partition in force
//   await c.partition([0, 0, 1, 1, 1])  cells by daemon, through the monitor protocol, as
//                                    `spmonitor partition 0 0 1 1 1` sends it; waits for the acks
//   await c.heal()                   as `spmonitor partition --cancel`
//   await c.status()                 the monitor's status records of the running daemons, by name
//   await c.waitForComponents([[0, 1], [2, 3, 4]], ms)  each listed group of daemons in its own
//                                    ring (OP, GOP, that many procs, its first daemon as leader)
//   await c.waitForRing(ms)          all running daemons in one ring
//   await c.close()                  stops every daemon and the monitor socket (call in finally)
//
// Ports: the caller owns P and P+1 (UDP on each 127.0.0.x, TCP P); the monitor uses a free UDP port
// on 127.0.0.1. Partitions set by the monitor clear themselves after 60 s if not re-sent. Daemons
// still running when the test process exits are killed. Run as root, the daemons keep root
// (DaemonUser/DaemonGroup = root) instead of dropping to the "spread" account.
import { loadConfigSync, type MembershipTimeouts, type SpreadConfig } from '../../daemon/config/index.ts';
import { MonitorClient } from '../../daemon/monitor/monitor-client.ts';
import type { StatusRecord } from '../../daemon/monitor/status.ts';
import { FAST_TIMEOUTS } from './daemon.ts';
import { launchDaemon, stopDaemon, stopDaemons, writeTempConfig, type DaemonProcess } from './processes.ts';

export interface ClusterOptions {
  /** Number of daemons, 1 to 9. */
  readonly size: number;
  /** Segment port P: UDP P and P+1 on each daemon's address, client TCP P. */
  readonly port: number;
  /** Configuration lines after the segment (default FAST_TIMEOUTS); DangerousMonitor is always on. */
  readonly options?: ReadonlyArray<string>;
  /** Wait for one ring of all daemons before returning (default true)... */
  readonly waitForRing?: boolean;
  /** ... at most this long (default 30 000 ms; the guide's timeouts need more). */
  readonly readyTimeoutMs?: number;
  /** How long a daemon may take to open its client port (default 60 000 ms: a loaded machine). */
  readonly startTimeoutMs?: number;
}

/** The configuration text of an N-daemon loopback cluster. */
export function clusterConfig(size: number, port: number, options: ReadonlyArray<string> = FAST_TIMEOUTS): string {
  if (!Number.isInteger(size) || size < 1 || size > 9) throw new RangeError(`cluster of ${size} daemons: 1 to 9`);
  const lines = [`Spread_Segment 127.255.255.255:${port} {`];
  for (let i = 1; i <= size; i++) lines.push(`  d${i} 127.0.0.${i} { D 127.0.0.${i} C 127.0.0.${i} }`);
  lines.push('}', ...options, 'DangerousMonitor = true');
  // A daemon started as root gives up root for DaemonUser/DaemonGroup (default "spread", which a
  // test machine need not have): tests keep the user that runs them.
  if (process.getuid?.() === 0) lines.push('DaemonUser = root', 'DaemonGroup = root');
  lines.push('');
  return lines.join('\n');
}

export class Cluster {
  readonly size: number;
  readonly port: number;
  readonly confPath: string;
  readonly config: SpreadConfig;
  private readonly procs: Array<DaemonProcess | undefined>;
  private readonly monitor: MonitorClient;
  private readonly startTimeoutMs: number;
  /** The partition vector in force (undefined: none), re-sent to restarted daemons. */
  private cells: ReadonlyArray<number> | undefined;

  private constructor(o: ClusterOptions, monitor: MonitorClient, confPath: string, config: SpreadConfig) {
    this.size = o.size;
    this.port = o.port;
    this.confPath = confPath;
    this.config = config;
    this.monitor = monitor;
    this.startTimeoutMs = o.startTimeoutMs ?? 60_000;
    this.procs = new Array<DaemonProcess | undefined>(o.size).fill(undefined);
  }

  /** Writes the configuration, spawns every daemon and (by default) waits for one ring. */
  static async start(o: ClusterOptions): Promise<Cluster> {
    const confPath = writeTempConfig(clusterConfig(o.size, o.port, o.options));
    const config = loadConfigSync(confPath);
    const monitor = new MonitorClient(config, config.daemons[0]!);
    await monitor.open();
    const c = new Cluster(o, monitor, confPath, config);
    try {
      // allSettled: every start has ended (and is tracked) before close() on a failure
      const started = await Promise.allSettled(config.daemons.map((_, i) => c.restart(i)));
      for (const r of started) if (r.status === 'rejected') throw r.reason;
      if (o.waitForRing !== false) await c.waitForRing(o.readyTimeoutMs ?? 30_000);
    } catch (err) {
      await c.close();
      throw err;
    }
    return c;
  }

  get timeouts(): MembershipTimeouts {
    return this.config.timeouts;
  }

  name(i: number): string {
    return this.config.daemons[i]!.name;
  }

  host(i: number): string {
    return this.config.daemons[i]!.address;
  }

  /** The spread name clients use for daemon i. */
  spread(i: number): string {
    return `${this.port}@${this.host(i)}`;
  }

  running(i: number): boolean {
    const p = this.procs[i];
    return p !== undefined && p.proc.exitCode === null && p.proc.signalCode === null;
  }

  /** Indices of the daemons whose process runs. */
  get up(): number[] {
    return this.config.daemons.map((_, i) => i).filter((i) => this.running(i));
  }

  /** What daemon i printed so far (its current or last process). */
  output(i: number): string {
    return this.procs[i]?.output ?? '';
  }

  /** kill -9 of daemon i; resolves once the process has exited. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (p !== undefined) await stopDaemon(p, 'SIGKILL');
  }

  /** SIGTERM (a clean shutdown) of daemon i. */
  async stop(i: number): Promise<void> {
    const p = this.procs[i];
    if (p !== undefined) await stopDaemon(p);
  }

  /** Starts daemon i (again) and waits for its client port; re-sends the partition in force. */
  async restart(i: number): Promise<void> {
    if (this.running(i)) throw new Error(`${this.name(i)} is running`);
    const name = this.name(i);
    await launchDaemon(this.confPath, name, this.host(i), this.port, this.startTimeoutMs, (d) => (this.procs[i] = d));
    if (this.cells !== undefined) await this.sendPartition(this.cells, [i]);
  }

  /** Sets the partition: one cell number per daemon, in configuration order. */
  async partition(cells: ReadonlyArray<number>): Promise<void> {
    if (cells.length !== this.size) throw new Error(`give ${this.size} cells, got ${cells.length}`);
    this.cells = cells.every((c) => c === 0) ? undefined : [...cells];
    await this.sendPartition(cells, this.up);
  }

  /** Clears the partition (the monitor's cancel: every daemon in cell 0). */
  heal(): Promise<void> {
    return this.partition(this.config.daemons.map(() => 0));
  }

  private async sendPartition(cells: ReadonlyArray<number>, targets: ReadonlyArray<number>): Promise<void> {
    let waiting = [...targets];
    for (let attempt = 0; attempt < 5 && waiting.length > 0; attempt++) {
      const specs = waiting.map((i) => this.config.daemons[i]!);
      const acks = await this.monitor.command(specs, { kind: 'partition', cells: [...cells], replyPort: this.monitor.replyPort, wantAck: true }, 2000);
      for (const [name, a] of acks) if (!a.accepted) throw new Error(`${name} refused the partition: ${a.reason}`);
      waiting = waiting.filter((i) => !acks.has(this.name(i)));
    }
    if (waiting.length > 0) throw new Error(`no acknowledgement of the partition from ${waiting.map((i) => this.name(i)).join(', ')}`);
  }

  /** Status records of the running daemons that answer within `ms`, by daemon name. */
  status(ms = 1000): Promise<Map<string, StatusRecord>> {
    return this.monitor.status(this.up.map((i) => this.config.daemons[i]!), ms);
  }

  /**
   * Waits until each listed group of daemons forms its own settled ring: every one of them runs,
   * is in OP and GOP, in a ring of exactly that many daemons led by the group's first daemon.
   */
  async waitForComponents(components: ReadonlyArray<ReadonlyArray<number>>, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = new Map<string, StatusRecord>();
    for (;;) {
      last = await this.status(1000);
      const ok = components.every((comp) => {
        const leader = this.name(Math.min(...comp));
        return comp.every((i) => {
          const s = last.get(this.name(i));
          return this.running(i) && s !== undefined && s.state === 'OP' && s.gstate === 'GOP' && s.numProcs === comp.length && s.leader === leader;
        });
      });
      if (ok) return;
      if (Date.now() > deadline) {
        const seen = [...last.values()].map((s) => `${s.daemon}: ${s.state}/${s.gstate} ${s.numProcs} procs, leader ${s.leader}`).join('; ');
        throw new Error(`daemons not in rings ${JSON.stringify(components.map((c) => c.map((i) => this.name(i))))} after ${timeoutMs} ms: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Waits until every running daemon is in one ring. */
  waitForRing(timeoutMs: number): Promise<void> {
    return this.waitForComponents([this.up], timeoutMs);
  }

  /** Stops every daemon (SIGTERM, then SIGKILL after 3 s) and closes the monitor socket. */
  async close(): Promise<void> {
    await stopDaemons(this.procs);
    this.monitor.close();
  }
}
