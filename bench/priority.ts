// The view-change time under a client flood, with the event priorities of guide 5.1 on and off
// (`npm run bench -- --only priority`): three daemon processes, flooding clients on two of them,
// kill -9 of the third, and the time until a client on a survivor gets the network view.
import { spawn, type ChildProcess } from 'node:child_process';
import { SpreadConnection } from '../client/index.ts';
import { FAST_TIMEOUTS, threeDaemonConfig } from '../test/support/daemon.ts';
import { spawnDaemon, stopDaemon, writeTempConfig, type DaemonProcess } from '../test/support/processes.ts';
import { progress } from './progress.ts';

const root = new URL('..', import.meta.url).pathname;

/** Resolves with the time at which `c` sees a regular view of `n` members. */
async function viewOf(c: SpreadConnection, n: number, timeoutMs: number): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const m = await c.receive({ signal });
    if (m.isMembership() && m.getMembershipInfo().isRegularMembership() && m.getMembershipInfo().getMembers().length === n) return Date.now();
  }
}

function flooder(target: string, name: string): ChildProcess {
  // Far more messages than the run lasts: the process is killed when the view has changed.
  const args = ['--target', target, '--name', name, '--mode', 'flood', '--size', '1000', '--count', '100000000', '--members', '1', '--senders', '1', '--service', 'agreed'];
  const p = spawn(process.execPath, ['--import', 'tsx', 'bench/flood-client.ts', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
  p.on('error', () => {});
  return p;
}

async function oneRun(port: number, priorities: boolean): Promise<number> {
  const conf = writeTempConfig(threeDaemonConfig(port, ...FAST_TIMEOUTS, `EventPriorities = ${priorities}`));
  const ds: DaemonProcess[] = [];
  const floods: ChildProcess[] = [];
  let watcher: SpreadConnection | undefined;
  try {
    for (const i of [1, 2, 3]) ds.push(await spawnDaemon(conf, `d${i}`, `127.0.0.${i}`, port));
    watcher = await SpreadConnection.connect({ spread: `${port}@127.0.0.1`, privateName: 'watch' });
    const other = await SpreadConnection.connect({ spread: `${port}@127.0.0.3`, privateName: 'other' });
    await watcher.join('pw');
    await other.join('pw');
    await viewOf(watcher, 2, 60_000);
    for (const i of [1, 2]) for (const k of [0, 1]) floods.push(flooder(`${port}@127.0.0.${i}`, `f${i}${k}`));
    await new Promise((r) => setTimeout(r, 2000)); // the flood is in full swing
    const t0 = Date.now();
    ds[2]!.proc.kill('SIGKILL');
    const seen = await viewOf(watcher, 1, 60_000);
    other.kill();
    return seen - t0;
  } finally {
    for (const f of floods) f.kill('SIGKILL');
    await watcher?.close().catch(() => {});
    await Promise.all(ds.map((d) => stopDaemon(d)));
  }
}

/** Median of `runs` kill-to-view times, priorities on and off, in one run of the bench for the ratio. */
export async function priorityTimes(quick: boolean): Promise<Record<string, unknown>> {
  const runs = quick ? 1 : 3;
  const rows: Record<string, unknown>[] = [];
  for (const priorities of [true, false]) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      progress(`view change under a client flood, EventPriorities = ${priorities}, run ${i + 1}/${runs}`);
      times.push(await oneRun(priorities ? 25003 : 25013, priorities));
    }
    times.sort((a, b) => a - b);
    rows.push({ event_priorities: priorities, crash_to_network_view_ms: times[Math.floor(times.length / 2)], runs: times });
  }
  return {
    setting: '3 daemon processes (guide / 10 timeouts: token 500 ms), 2 clients flooding 1000-byte Agreed messages on each of d1 and d2, kill -9 of d3; time until a client on d1 gets the network view',
    rows,
  };
}
