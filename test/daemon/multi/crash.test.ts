// kill -9 of one of three daemon processes: clients on the others get the network membership
// change within the token timeout plus the form time (and scheduling slack); the restarted
// daemon merges back and its clients share the group again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpreadConnection, SpreadMessage } from '../../../client/index.ts';
import { FAST_TIMEOUTS, threeDaemonConfig } from '../../support/daemon.ts';
import { spawnDaemon, stopDaemon, writeTempConfig, type DaemonProcess } from '../../support/processes.ts';

async function viewWith(c: SpreadConnection, n: number, timeoutMs: number): Promise<{ members: string[]; network: boolean }> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (;;) {
    const m = await c.receive({ signal });
    if (!m.isMembership()) continue;
    const info = m.getMembershipInfo();
    if (!info.isRegularMembership()) continue;
    const members = info.getMembers().map(String);
    if (members.length === n) return { members, network: info.isCausedByNetwork() };
  }
}

test('kill -9 a daemon, see the network change, restart it and merge back', async () => {
  const port = 32410;
  const conf = writeTempConfig(threeDaemonConfig(port, ...FAST_TIMEOUTS));
  const procs: DaemonProcess[] = [];
  const conns: SpreadConnection[] = [];
  try {
    for (const i of [1, 2, 3]) procs.push(await spawnDaemon(conf, `d${i}`, `127.0.0.${i}`, port));
    for (const i of [1, 2, 3]) conns.push(await SpreadConnection.connect({ spread: `${port}@127.0.0.${i}`, privateName: `k${i}` }));
    for (const c of conns) await c.join('crash');
    await Promise.all(conns.map((c) => viewWith(c, 3, 20_000)));
    const t0 = Date.now();
    procs[2]!.proc.kill('SIGKILL');
    const after = await Promise.all(conns.slice(0, 2).map((c) => viewWith(c, 2, 15_000)));
    const detectMs = Date.now() - t0;
    for (const v of after) {
      assert.ok(v.network, 'caused by network');
      assert.deepEqual(v.members, ['#k1#d1', '#k2#d2']);
    }
    // token 500 + form 500 ms, with generous slack for a loaded machine
    assert.ok(detectMs < 8000, `membership change after ${detectMs} ms`);
    await conns[0]!.multicast(new SpreadMessage().setSafe().addGroup('crash').setData('still here'));
    for (const c of conns.slice(0, 2)) {
      for (;;) {
        const m = await c.receive({ signal: AbortSignal.timeout(5000) });
        if (m.isRegular()) {
          assert.equal(m.text, 'still here');
          break;
        }
      }
    }
    conns[2]!.kill();
    procs[2] = await spawnDaemon(conf, 'd3', '127.0.0.3', port);
    const again = await SpreadConnection.connect({ spread: `${port}@127.0.0.3`, privateName: 'k3' });
    conns[2] = again;
    await again.join('crash');
    const merged = await Promise.all(conns.map((c) => viewWith(c, 3, 20_000)));
    for (const v of merged) assert.deepEqual(v.members, ['#k1#d1', '#k2#d2', '#k3#d3']);
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all(procs.map((p) => stopDaemon(p)));
  }
});
