// Runs the real `spmonitor` CLI as a child process: one-shot subcommands, or the interactive menu
// driven by writing lines to its standard input.
import { spawn, type ChildProcess } from 'node:child_process';

const root = new URL('../../..', import.meta.url).pathname;

export interface MonitorRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `spmonitor ...args` to its end (killed after `timeoutMs`). */
export function runMonitor(args: string[], timeoutMs = 30_000): Promise<MonitorRun> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['bin/spmonitor.mjs', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export class InteractiveMonitor {
  readonly proc: ChildProcess;
  private out = '';
  private readonly exit: Promise<number | null>;

  constructor(args: string[]) {
    this.proc = spawn(process.execPath, ['bin/spmonitor.mjs', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (b: Buffer) => (this.out += b.toString()));
    this.proc.stderr!.on('data', (b: Buffer) => (this.out += b.toString()));
    this.exit = new Promise((resolve) => this.proc.on('close', (code) => resolve(code)));
  }

  /** Everything printed so far. */
  get output(): string {
    return this.out;
  }

  /** Types lines at the menu. */
  type(...lines: string[]): void {
    this.proc.stdin!.write(lines.map((l) => `${l}\n`).join(''));
  }

  /** Output printed after `from` (an earlier length of `output`). */
  since(from: number): string {
    return this.out.slice(from);
  }

  /** Waits until the output after `from` satisfies `ok`. */
  async waitFor(ok: (text: string) => boolean, from = 0, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.out.slice(from);
      if (ok(text)) return text;
      if (this.proc.exitCode !== null) throw new Error(`spmonitor exited ${this.proc.exitCode}:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`spmonitor output did not show what was expected:\n${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves with the exit code once it ends. */
  exited(): Promise<number | null> {
    return this.exit;
  }

  /** Stops it if it still runs. */
  async kill(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGKILL');
    await this.exit;
  }
}
