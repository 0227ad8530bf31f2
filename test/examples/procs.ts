// Running the examples as a user would, for the end-to-end tests: long-running programs whose
// output lines are awaited in order (a cursor), one-shot CLIs whose exit status and output are
// checked, and a daemon on a port of the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { spawnDaemon, writeTempConfig, type DaemonProcess } from '../support/processes.ts';

const root = new URL('../..', import.meta.url).pathname;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A program's stdout and stderr as lines, awaited one after another. */
export class LineProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  private cursor = 0;
  private wake: (() => void) | undefined;
  private done = false;

  private constructor(readonly proc: ChildProcess) {
    let partial = '';
    const onData = (b: Buffer): void => {
      partial += b.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake?.();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        if (partial !== '') this.lines.push(partial);
        this.done = true;
        this.wake?.();
        resolve({ code, signal });
      }),
    );
  }

  /** `node bin/<bin> args...` from the repository root, as the README runs it. */
  static start(bin: string, args: readonly string[]): LineProcess {
    return new LineProcess(spawn(process.execPath, [`bin/${bin}`, ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** The next line (after the last one returned) that matches; fails after `ms` or at exit. */
  async next(match: RegExp | string, ms = 60_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.lines.length) {
        const line = this.lines[this.cursor++]!;
        if (typeof match === 'string' ? line.includes(match) : match.test(line)) return line;
      }
      const left = deadline - Date.now();
      if (this.done || left <= 0) {
        throw new Error(`no line matching ${String(match)} (${this.done ? 'process exited' : `${ms} ms`}); output:\n${this.lines.join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  write(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  endInput(): void {
    this.proc.stdin!.end();
  }

  /** Sends `signal` (if still running) and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<Exit> {
    if (!this.done) this.proc.kill(signal);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const e = await this.exited;
    clearTimeout(t);
    return e;
  }
}

export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/<bin> args...` to completion (killed after `ms`). */
export function runBin(bin: string, args: readonly string[], ms = 90_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [`bin/${bin}`, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One daemon process `d1` on 127.0.0.1:`port` (it also uses port + 1). */
export async function startDaemon(port: number): Promise<DaemonProcess> {
  const conf = writeTempConfig(`Spread_Segment 127.255.255.255:${port} {\n  d1 127.0.0.1\n}\n`);
  return spawnDaemon(conf, 'd1', '127.0.0.1', port);
}
