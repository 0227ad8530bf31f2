// Shared pieces of the VS layer's end-to-end tests: a daemon on loopback, connections, waits.
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import type { RunningDaemon, StartDaemonOptions } from '../../daemon/index.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { VsConnection, type VsConnectOptions } from '../../vs-layer/connection.ts';

export const WAIT_MS = 15_000;

export async function daemon(name: string, extra: Partial<StartDaemonOptions> = {}): Promise<RunningDaemon> {
  return startTestDaemon({ name, ...extra });
}

export function connect(d: RunningDaemon, privateName: string, o: Omit<VsConnectOptions, 'port' | 'host' | 'path' | 'spread'> = {}): Promise<VsConnection> {
  return VsConnection.connect({ host: '127.0.0.1', port: d.tcpPort, privateName, timeoutMs: 5000, ...o });
}

/** The first value of `obs` that passes `pred`, or a timeout error. */
export function next<T>(obs: Observable<T>, pred: (v: T) => boolean = () => true, ms = WAIT_MS): Promise<T> {
  return firstValueFrom(obs.pipe(filter(pred), timeout(ms)));
}

/** Rejects after `ms`. */
export function within<T>(p: Promise<T>, ms = WAIT_MS, what = 'operation'): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms).unref())]);
}

/** Polls `cond` (every few ms) until it holds. */
export async function until(cond: () => boolean, ms = WAIT_MS, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const text = (u: Uint8Array): string => new TextDecoder().decode(u);
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
