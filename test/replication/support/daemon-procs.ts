// Daemon processes for kill -9 tests (`spread -c conf -n dN`, as an operator runs them), owned as a
// set so that every process started is stopped again, also when a start fails: a test never
// leaves a daemon behind. Daemon i (0-based) is d{i+1} on 127.0.0.{i+1}, client port = segment port.
import { launchDaemon, stopDaemon, stopDaemons, writeTempConfig, type DaemonProcess } from '../../support/processes.ts';

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
    await launchDaemon(this.confPath, `d${i + 1}`, this.host(i), this.port, 60_000, (d) => (this.procs[i] = d));
  }

  /** kill -9 of daemon i; resolves once the process is gone. */
  async kill(i: number): Promise<void> {
    const p = this.procs[i];
    if (p !== undefined) await stopDaemon(p, 'SIGKILL');
  }

  /** Stops every daemon ever started here (SIGTERM, SIGKILL after 3 s). */
  async close(): Promise<void> {
    await stopDaemons(this.procs);
  }
}
