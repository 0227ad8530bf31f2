// Membership change times seen by clients, for `npm run bench -- --only membership`.
import { FAST_TIMEOUTS, threeDaemonConfig } from '../test/support/daemon.ts';
import { SpreadConnection } from '../client/index.ts';
import { progress } from './progress.ts';
import { spawnDaemon, stopDaemon, writeTempConfig, type DaemonProcess } from '../test/support/processes.ts';

/** Resolves with the time at which `c` sees a regular view of `n` members. */
async function viewOf(c: SpreadConnection, n: number, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const m = await c.receive({ signal });
    if (m.isMembership() && m.getMembershipInfo().isRegularMembership() && m.getMembershipInfo().getMembers().length === n) return Date.now();
  }
}

/**
 * Membership change times seen by clients (issue: Membership and EVS): kill -9 of one of three
 * daemon processes until the survivors' clients get the network view, and restart until the
 * merged view, with the timeouts printed beside them.
 */
export async function membershipTimes(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const sets: ReadonlyArray<readonly [string, ReadonlyArray<string>, number, number]> = [
    ['guide (one segment)', [], 24933, 5000],
    ['spread 5.0.1 (TimeoutDefaults = spread5)', ['TimeoutDefaults = spread5'], 24953, 1250],
    ['guide / 10 (the fault tests)', FAST_TIMEOUTS, 24943, 500],
  ];
  for (const [label, timeouts, port, tokenMs] of sets) {
    progress(`membership change times, ${label} timeouts`);
    const conf = writeTempConfig(threeDaemonConfig(port, ...timeouts));
    const ds: DaemonProcess[] = [];
    const conns: SpreadConnection[] = [];
    try {
      for (const i of [1, 2, 3]) ds.push(await spawnDaemon(conf, `d${i}`, `127.0.0.${i}`, port));
      for (const i of [1, 2, 3]) conns.push(await SpreadConnection.connect({ spread: `${port}@127.0.0.${i}`, privateName: `m${i}` }));
      for (const c of conns) await c.join('memb');
      await Promise.all(conns.map((c) => viewOf(c, 3, 60_000)));
      const t0 = Date.now();
      ds[2]!.proc.kill('SIGKILL');
      const crash = Math.max(...(await Promise.all(conns.slice(0, 2).map((c) => viewOf(c, 2, 60_000))))) - t0;
      conns[2]!.kill();
      const t1 = Date.now();
      ds[2] = await spawnDaemon(conf, 'd3', '127.0.0.3', port);
      const again = await SpreadConnection.connect({ spread: `${port}@127.0.0.3`, privateName: 'm3' });
      conns[2] = again;
      await again.join('memb');
      const merge = Math.max(...(await Promise.all(conns.map((c) => viewOf(c, 3, 120_000))))) - t1;
      rows.push({ timeouts: label, token_ms: tokenMs, crash_to_regular_ms: crash, restart_to_merged_ms: merge });
    } finally {
      await Promise.all(conns.map((c) => c.close().catch(() => {})));
      await Promise.all(ds.map((d) => stopDaemon(d)));
    }
  }
  return rows;
}

