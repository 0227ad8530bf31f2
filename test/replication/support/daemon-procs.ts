// Daemon processes for kill -9 tests (`spread -c conf -n dN`, as an operator runs them), owned as a
// set so that every process started is stopped again, also when a start fails: a test never
// leaves a daemon behind. Daemon i (0-based) is d{i+1} on 127.0.0.{i+1}, client port = segment port.
// (test/support/processes.ts's spawnDaemon gives up after 15 s and leaves the process running,
// which a loaded 2-core machine reaches while five daemons start at once.)
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { stopDaemon, writeTempConfig, type DaemonProcess } from '../../support/processes.ts';
import { daemonNodeArgs } from '../../../daemon/v8-flags.ts';

const root = new URL('../../..', import.meta.url).pathname;
const START_MS = 60_000;

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class DaemonProcs {
  private readonly procs: Array<DaemonProcess | undefined>;
  readonly confPath: string;

  /** `configText` names d1..d`size` on 127.0.0.1..`size` with segment port `port`. */
  constructor(
    configText: string,
    readonly size: number,
    readonly port: number,
  ) {
    this.confPath = writeTempConfig(configText);
    this.procs = new Array<DaemonProcess | undefined>(size).fill(undefined);
  }

  host(i: number): string {
    return `127.0.0.${i + 1}`;
  }

  /** The spread name clients use for daemon i. */
  spread(i: number): string {
    return `${this.port}@${this.host(i)}`;
  }

  running(i: number): boolean {
    const p = this.procs[i];
    return p !== undefined && p.proc.exitCode === null && p.proc.signalCode === null;
  }

  /** Starts daemon i (again) and resolves once its client port accepts connections. */
  async start(i: number): Promise<void> {
    if (this.running(i)) throw new Error(`d${i + 1} is running`);
    const name = `d${i + 1}`;
    const proc = spawn(process.execPath, daemonNodeArgs(['-c', this.confPath, '-n', name]), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const d: DaemonProcess = { name, proc, output: '' };
    this.procs[i] = d;
    const keep = (b: Buffer): void => {
      d.output = (d.output + b.toString()).slice(-20_000);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + START_MS;
    while (!(await accepts(this.host(i), this.port))) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}): ${d.output}`);
      if (Date.now() > deadline) throw new Error(`${name} did not open ${this.spread(i)} within ${START_MS} ms: ${d.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** kill -9 of daemon i; resolves once the process is gone. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (p !== undefined) await stopDaemon(p, 'SIGKILL');
  }

  /** Stops every daemon ever started here (SIGTERM, SIGKILL after 3 s). */
  async close(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        if (p === undefined) return;
        const t = setTimeout(() => p.proc.kill('SIGKILL'), 3000);
        await stopDaemon(p);
        clearTimeout(t);
      }),
    );
  }
}
