// Membership and EVS with 3 real daemon processes on loopback, the cases the 5-daemon file does
// not take: kill -9 of the ring leader, a client that reconnects to the restarted daemon at once
// (so it may join alone and be merged with a vs set of its own), and a partition 1|2 that cuts off
// the middle daemon of the ring. A client on each daemon sends Agreed and Safe messages all
// along; the EVS checker passes over all clients' logs. Liveness only, with generous deadlines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../support/cluster.ts';
import {
  EvsRecorder, changesSince, drain, dumpLogs, waitForViews, waitUntil, type ClientLog,
} from '../../support/evs-client-log.ts';
import { checkClientLogs } from '../../checkers/client-evs.ts';

const GROUP = 'evs3';
const SETTLE_MS = 40_000;

test('3 daemons: kill -9 of the leader, restart, partition 1|2 and heal under traffic; EVS holds over the clients\' logs', async () => {
  const cluster = await Cluster.start({ size: 3, port: 23020 });
  const recorders: EvsRecorder[] = [];
  const logs: ClientLog[] = [];
  try {
    const user = (i: number): string => `t${i + 1}`;
    for (let i = 0; i < 3; i++) recorders.push(await EvsRecorder.connect({ spread: cluster.spread(i), user: user(i), group: GROUP, intervalMs: 10 }));
    const names = recorders.map((r) => r.privateName);
    await waitForViews(recorders, names, SETTLE_MS, 'all three clients in one view');
    for (const r of recorders) r.startSending();
    await new Promise((r) => setTimeout(r, 400));

    // kill -9 of d1, the leader
    const marks = recorders.map((r) => r.mark());
    await cluster.kill(0);
    await waitForViews(recorders.slice(1), names.slice(1), SETTLE_MS, 'the clients of d2 d3 in a view of two');
    await waitUntil(() => recorders[0]!.lost, 5000, () => 'the killed daemon\'s client to see its connection break');
    for (const [i, r] of recorders.slice(1).entries()) {
      const { views, signals } = changesSince(r, marks[i + 1]!);
      assert.equal(views[views.length - 1]!.reason, 'NETWORK');
      assert.ok(signals >= 1, `${r.privateName}: a transitional signal came before the network view`);
    }

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
    for (const [i, r] of recorders.entries()) {
      const { views } = changesSince(r, cut[i]!);
      assert.equal(views[views.length - 1]!.reason, 'NETWORK');
    }
    await new Promise((r) => setTimeout(r, 300));

    await cluster.heal();
    await waitForViews(recorders, names, SETTLE_MS, 'all three in one view after the heal');
    await cluster.waitForRing(SETTLE_MS);

    await drain(recorders, SETTLE_MS);
    logs.push(...recorders.map((r) => r.log));
    const report = checkClientLogs(logs, { group: GROUP });
    const dump = report.violations.length > 0 || process.env.EVS_LOG_DUMP === '1' ? `logs in ${dumpLogs(logs)}` : '';
    if (process.env.EVS_LOG_DUMP === '1') console.log(dump);
    assert.deepEqual(report.violations, [], `${report.legend}\n${report.violations.join('\n')}\n${dump}`);
  } finally {
    await Promise.all(recorders.map((r) => r.close()));
    await cluster.close();
  }
});
