// Drives a CLI (bin/spuser.mjs, bin/spflooder.mjs) as a child process: write stdin, wait for
// output, collect the exit status.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class Cli {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: Array<() => void> = [];

  constructor(bin: string, args: string[]) {
    this.proc = spawn(process.execPath, [`${ROOT}bin/${bin}`, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout!.setEncoding('latin1');
    this.proc.stderr!.setEncoding('latin1');
    this.proc.stdout!.on('data', (s: string) => {
      this.stdout += s;
      this.wake();
    });
    this.proc.stderr!.on('data', (s: string) => {
      this.stderr += s;
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code) => {
        this.wake();
        resolve({ code, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  write(text: string): void {
    this.proc.stdin!.write(text);
  }

  end(text?: string): void {
    this.proc.stdin!.end(text);
  }

  /** Waits until stdout contains `what` (counting `times` occurrences); returns stdout. */
  async waitFor(what: string | RegExp, timeoutMs = 30_000, times = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const count = (): number =>
      typeof what === 'string' ? this.stdout.split(what).length - 1 : (this.stdout.match(new RegExp(what.source, `${what.flags.replace('g', '')}g`)) ?? []).length;
    while (count() < times) {
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) throw new Error(`timed out waiting for ${String(what)}; stdout so far:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.stdout;
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
}

/** Runs a CLI to completion with the given stdin. */
export function runCli(bin: string, args: string[], stdin = ''): Promise<Exit> {
  const c = new Cli(bin, args);
  c.end(stdin);
  return c.exited;
}
