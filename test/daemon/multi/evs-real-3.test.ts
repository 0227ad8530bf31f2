// Membership and EVS with 3 real daemon processes on loopback, the cases the 5-daemon file does
// not take: kill -9 of the ring leader, a client that reconnects to the restarted daemon at once
// (so it may join alone and be merged with a vs set of its own), and a partition 1|2 that cuts off
// the middle daemon of the ring. A client on each daemon sends Agreed and Safe messages all
// along; the EVS checker passes over all clients' logs. Liveness only, with generous deadlines.
import { test } from 'node:test';
import { Cluster } from '../../support/cluster.ts';
import { EvsRecorder, waitForViews, waitUntil, type ClientLog } from '../../support/evs-client-log.ts';
import { SETTLE_MS, assertEvsHolds, assertNetworkViews, startRecorders } from './evs-real-scenario.ts';

const GROUP = 'evs3';

test('3 daemons: kill -9 of the leader, restart, partition 1|2 and heal under traffic; EVS holds over the clients\' logs', async () => {
  const cluster = await Cluster.start({ size: 3, port: 23020 });
  const recorders: EvsRecorder[] = [];
  const logs: ClientLog[] = [];
  try {
    const user = (i: number): string => `t${i + 1}`;
    const started = await startRecorders(cluster, { size: 3, user, group: GROUP, intervalMs: 10 });
    recorders.push(...started.recorders);
    const names = started.names;

    // kill -9 of d1, the leader
    const marks = recorders.map((r) => r.mark());
    await cluster.kill(0);
    await waitForViews(recorders.slice(1), names.slice(1), SETTLE_MS, 'the clients of d2 d3 in a view of two');
    await waitUntil(() => recorders[0]!.lost, 5000, () => 'the killed daemon\'s client to see its connection break');
    assertNetworkViews(recorders.slice(1), marks.slice(1), 'after the crash', true);

    // restart d1 and reconnect its client at once, sending from the start
    logs.push(recorders[0]!.log);
    await cluster.restart(0);
    recorders[0] = await EvsRecorder.connect({ spread: cluster.spread(0), user: user(0), group: GROUP, incarnation: 1, intervalMs: 10 });
    recorders[0].startSending();
    await waitForViews(recorders, names, SETTLE_MS, 'all three in one view after the restart');
    await cluster.waitForRing(SETTLE_MS);
    await new Promise((r) => setTimeout(r, 300));

    // partition 1|2 cutting off d2, the middle of the ring
    const cut = recorders.map((r) => r.mark());
    await cluster.partition([0, 1, 0]);
    await Promise.all([
      waitForViews([recorders[0]!, recorders[2]!], [names[0]!, names[2]!], SETTLE_MS, 'd1 and d3 in a view of two'),
      waitForViews([recorders[1]!], [names[1]!], SETTLE_MS, 'd2 alone'),
    ]);
    assertNetworkViews(recorders, cut, 'of the partition', false);
    await new Promise((r) => setTimeout(r, 300));

    await cluster.heal();
    await waitForViews(recorders, names, SETTLE_MS, 'all three in one view after the heal');
    await cluster.waitForRing(SETTLE_MS);

    await assertEvsHolds(recorders, logs, GROUP);
  } finally {
    await Promise.all(recorders.map((r) => r.close()));
    await cluster.close();
  }
});
