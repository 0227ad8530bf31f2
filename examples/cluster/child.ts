// One process the cluster runs (a daemon or a KV node): started, killed, restarted with the same
// command line. Output goes to its log file and, when `echo` is set, to our stdout line by line.
// Children run in their own process group, so a Ctrl-C in the terminal reaches only the
// cluster, which then stops the nodes before the daemons.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  readonly name: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logFile: string;
  readonly echo: boolean;
}

export class Child {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log: WriteStream | undefined;
  /** Told about every exit (the cluster prints it). */
  onExit: (name: string, how: string) => void = () => {};

  constructor(readonly spec: ChildSpec) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.proc!.pid : undefined;
  }

  start(): void {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.proc!.pid})`);
    this.log = createWriteStream(this.spec.logFile, { flags: 'a' });
    const p = spawn(process.execPath, [...this.spec.args], { cwd: this.spec.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.proc = p;
    const log = this.log;
    for (const stream of [p.stdout!, p.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        if (this.spec.echo) process.stdout.write(`${line}\n`);
      });
    }
    this.exited = new Promise((resolve) => {
      p.once('exit', (code, signal) => {
        log.end();
        this.onExit(this.spec.name, signal !== null ? `signal ${signal}` : `code ${code ?? '?'}`);
        resolve();
      });
      p.once('error', (err) => {
        log.end(`spawn failed: ${err.message}\n`);
        this.onExit(this.spec.name, `spawn failed: ${err.message}`);
        resolve();
      });
    });
  }

  /** Resolves when the process (if any) has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  kill(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    return this.proc!.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
