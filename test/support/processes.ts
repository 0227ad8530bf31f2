// Real daemon processes started through the `spread` CLI, for tests that need separate processes
// (kill -9, restart) exactly as an operator runs them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { daemonNodeArgs } from '../../daemon/v8-flags.ts';

const root = new URL('../..', import.meta.url).pathname;

export interface DaemonProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  output: string;
}

export function writeTempConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spread-proc-'));
  const path = join(dir, 'spread.conf');
  writeFileSync(path, text);
  return path;
}

/** Starts `spread -c conf -n name` and resolves once its client port accepts connections. */
export async function spawnDaemon(conf: string, name: string, host: string, port: number): Promise<DaemonProcess> {
  const proc = spawn(process.execPath, daemonNodeArgs(['-c', conf, '-n', name]), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const d: DaemonProcess = { name, proc, output: '' };
  proc.stdout!.on('data', (b: Buffer) => (d.output += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (d.output += b.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`daemon ${name} exited ${proc.exitCode}: ${d.output}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return d;
    if (Date.now() > deadline) {
      // never leave a daemon behind that nobody will stop
      proc.kill('SIGKILL');
      throw new Error(`daemon ${name} did not open ${host}:${port}: ${d.output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function stopDaemon(d: DaemonProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    d.proc.once('exit', () => resolve());
    d.proc.kill(signal);
  });
}
