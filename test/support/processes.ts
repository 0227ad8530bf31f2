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

/** Kept output of one daemon process (its tail). */
const OUTPUT_LIMIT = 200_000;

// Daemons still running when this process exits (a test that failed before its `finally`, an
// uncaught error) are killed, so that none is left behind.
const live = new Set<DaemonProcess>();
process.on('exit', () => {
  for (const d of live) d.proc.kill('SIGKILL');
});

/** True once something accepts TCP connections on host:port. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Starts `spread -c conf -n name` and resolves once its client port host:port accepts connections.
 * `tracked` gets the process at once, so that an owner's close() reaches a daemon still starting;
 * one that does not open its port in time is killed.
 */
export async function launchDaemon(
  conf: string,
  name: string,
  host: string,
  port: number,
  timeoutMs = 60_000,
  tracked: (d: DaemonProcess) => void = () => {},
): Promise<DaemonProcess> {
  const proc = spawn(process.execPath, daemonNodeArgs(['-c', conf, '-n', name]), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const d: DaemonProcess = { name, proc, output: '' };
  const keep = (b: Buffer): void => {
    d.output += b.toString();
    if (d.output.length > OUTPUT_LIMIT) d.output = d.output.slice(-OUTPUT_LIMIT / 2);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  live.add(d);
  proc.once('exit', () => live.delete(d));
  tracked(d);
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(host, port))) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`daemon ${name} exited (${proc.exitCode ?? proc.signalCode}): ${d.output}`);
    if (Date.now() > deadline) {
      await stopDaemon(d, 'SIGKILL');
      throw new Error(`daemon ${name} did not open ${host}:${port} within ${timeoutMs} ms: ${d.output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return d;
}

/** Starts `spread -c conf -n name` and resolves once its client port accepts connections. */
export function spawnDaemon(conf: string, name: string, host: string, port: number): Promise<DaemonProcess> {
  return launchDaemon(conf, name, host, port);
}

export function stopDaemon(d: DaemonProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    d.proc.once('exit', () => resolve());
    d.proc.kill(signal);
  });
}

/** Stops every daemon given (SIGTERM, SIGKILL after 3 s). */
export async function stopDaemons(procs: ReadonlyArray<DaemonProcess | undefined>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p === undefined) return;
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 3000);
      await stopDaemon(p);
      clearTimeout(timer);
    }),
  );
}
