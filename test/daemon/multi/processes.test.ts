// Three `spread` processes started from the CLI with the three-daemons-on-one-host file, used
// through our class client over TCP: one group spanning the daemons, one Agreed order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpreadConnection, SpreadMessage } from '../../../client/index.ts';
import { threeDaemonConfig } from '../../support/daemon.ts';
import { spawnDaemon, stopDaemon, writeTempConfig, type DaemonProcess } from '../../support/processes.ts';

test('three daemon processes form one ring that clients share', async () => {
  const port = 32210;
  const conf = writeTempConfig(threeDaemonConfig(port));
  const daemons: DaemonProcess[] = [];
  const conns: SpreadConnection[] = [];
  try {
    for (const i of [1, 2, 3]) daemons.push(await spawnDaemon(conf, `d${i}`, `127.0.0.${i}`, port));
    for (const i of [1, 2, 3])
      conns.push(await SpreadConnection.connect({ spread: `${port}@127.0.0.${i}`, privateName: `u${i}`, membership: true }));
    for (const c of conns) await c.join('span');
    // each client sees views until all three are in
    for (const c of conns) {
      for (;;) {
        const m = await c.receive();
        if (m.isMembership() && m.getMembershipInfo().getMembers().length === 3) break;
      }
    }
    const per = 30;
    for (let i = 0; i < per; i++)
      for (const [k, c] of conns.entries())
        await c.multicast(new SpreadMessage().setAgreed().addGroup('span').setData(`${k}:${i}`));
    const orders = await Promise.all(
      conns.map(async (c) => {
        const got: string[] = [];
        while (got.length < 3 * per) {
          const m = await c.receive();
          if (m.isRegular()) got.push(m.text);
        }
        return got;
      }),
    );
    assert.deepEqual(orders[1], orders[0]);
    assert.deepEqual(orders[2], orders[0]);
  } finally {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all(daemons.map((d) => stopDaemon(d)));
  }
});
