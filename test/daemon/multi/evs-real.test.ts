// Membership and EVS with 5 real daemon processes on loopback (issue: Membership and EVS, "Real
// daemons"): a client on each daemon sends Agreed and Safe messages all along; kill -9 of one
// daemon gives the others a network view, its restart merges back, a partition 2|3 through the
// monitor splits the group in two, healing merges it; the EVS checker passes over all clients'
// logs. Deadlines are generous: liveness is asserted, speed is measured by `npm run bench`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../support/cluster.ts';
import { EvsRecorder, changesSince, waitForViews, waitUntil, type ClientLog } from '../../support/evs-client-log.ts';
import { SETTLE_MS, assertEvsHolds, assertNetworkViews, startRecorders } from './evs-real-scenario.ts';

const GROUP = 'evs';

test('5 daemons: kill -9, restart, partition 2|3 and heal under Agreed and Safe traffic; EVS holds over the clients\' logs', async () => {
  const cluster = await Cluster.start({ size: 5, port: 23000 });
  const recorders: EvsRecorder[] = [];
  const logs: ClientLog[] = [];
  try {
    const user = (i: number): string => `e${i + 1}`;
    const started = await startRecorders(cluster, { size: 5, user, group: GROUP });
    recorders.push(...started.recorders);
    const names = started.names;

    // kill -9 of d5: the clients of d1..d4 get a network view of the four of them
    const marks = recorders.map((r) => r.mark());
    await cluster.kill(4);
    const survivors = recorders.slice(0, 4);
    await waitForViews(survivors, names.slice(0, 4), SETTLE_MS, 'survivors in a view of four after kill -9');
    await waitUntil(() => recorders[4]!.lost, 5000, () => 'the killed daemon\'s client to see its connection break');
    assertNetworkViews(survivors, marks, 'after the crash', true);
    await new Promise((r) => setTimeout(r, 300));

    // restart d5: a new incarnation of its client joins and everybody ends in one view of five
    await cluster.restart(4);
    logs.push(recorders[4]!.log);
    recorders[4] = await EvsRecorder.connect({ spread: cluster.spread(4), user: user(4), group: GROUP, incarnation: 1 });
    recorders[4].startSending();
    await waitForViews(recorders, names, SETTLE_MS, 'all five in one view after the restart');
    await cluster.waitForRing(SETTLE_MS);
    await new Promise((r) => setTimeout(r, 300));

    // partition 2|3 through the monitor: two components, each with its own view
    const cut = recorders.map((r) => r.mark());
    await cluster.partition([0, 0, 1, 1, 1]);
    await Promise.all([
      waitForViews(recorders.slice(0, 2), names.slice(0, 2), SETTLE_MS, 'the side of d1 d2 in its own view'),
      waitForViews(recorders.slice(2), names.slice(2), SETTLE_MS, 'the side of d3 d4 d5 in its own view'),
    ]);
    await cluster.waitForComponents([[0, 1], [2, 3, 4]], SETTLE_MS);
    assertNetworkViews(recorders, cut, 'of the partition', true);
    await new Promise((r) => setTimeout(r, 300));

    // heal: one view of five again, with a vs set per side
    const heal = recorders.map((r) => r.mark());
    await cluster.heal();
    await waitForViews(recorders, names, SETTLE_MS, 'all five in one view after the heal');
    await cluster.waitForRing(SETTLE_MS);
    for (const [i, r] of recorders.entries()) {
      const { views } = changesSince(r, heal[i]!);
      const v = views[views.length - 1]!;
      assert.equal(v.reason, 'NETWORK', `${r.privateName}: the merged view is caused by the network`);
      assert.ok(v.vsSets.length >= 2, `${r.privateName}: the merged view has a vs set per side: ${JSON.stringify(v.vsSets)}`);
    }

    const sent = await assertEvsHolds(recorders, logs, GROUP);
    assert.ok(sent > 100, `clients sent ${sent} messages`);
  } finally {
    await Promise.all(recorders.map((r) => r.close()));
    await cluster.close();
  }
});
