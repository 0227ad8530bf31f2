// The replicated KV store across a real network partition (design 5.2 B, issue 7): five in-process
// daemons on 127.0.0.1-5, one replica process per daemon with its own LevelDB directory, clients
// writing, reading and compare-and-setting throughout. Partition 2|3: the minority refuses writes
// with NotPrimaryError and serves only stale-flagged local reads, the majority goes on; after the
// heal every replica converges to one digest, no acknowledged write is lost, and the clients'
// history is linearizable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RunningDaemon } from '../../daemon/index.ts';
import { startTestDaemons, waitForRing } from '../support/daemon.ts';
import { converged, tempDir, waitStatuses } from './support/cluster.ts';
import { loopbackConfig, SPREAD5_TIMEOUTS } from './support/daemons.ts';
import { FaultWorkload } from './support/fault-workload.ts';
import { ReplicaError, ReplicaProcess } from './support/replica-process.ts';

const IDS = ['a', 'b', 'c', 'd', 'e'];
const MINORITY = ['a', 'b'];
const WAIT_MS = 60_000;

test('partition 2|3: the minority refuses writes, the majority goes on, the heal converges; no acknowledged write lost, history linearizable', async () => {
  const daemons: RunningDaemon[] = await startTestDaemons(loopbackConfig(5, 25200, SPREAD5_TIMEOUTS), ['d1', 'd2', 'd3', 'd4', 'd5']);
  const dir = tempDir('kv-partition-');
  const replicas = IDS.map((id, i) => new ReplicaProcess({ id, spread: `${daemons[i]!.tcpPort}@127.0.0.${i + 1}`, dataDir: join(dir.path, id), replicas: IDS, group: 'kvp' }));
  const cut = (cells: number[] | undefined): void => {
    for (const d of daemons) d.node.ring!.setPartition(cells);
  };
  try {
    await waitForRing(daemons, 5, 30_000);
    await Promise.all(replicas.map((r) => r.start()));
    const [a, , c] = replicas as [ReplicaProcess, ReplicaProcess, ReplicaProcess];
    await waitStatuses(replicas, (s) => s.every((x) => x.mode === 'primary' && x.members.length === 5 && !x.catchingUp), WAIT_MS);
    await a.put('p/stale', 'before');
    await waitStatuses(replicas, converged, WAIT_MS);

    const w = new FaultWorkload({ clients: 10, keys: 10, prefix: 'p/', route: (cl) => replicas[cl % replicas.length] });
    w.start();
    await w.moreAcks(40, WAIT_MS);

    // 2|3: d1, d2 (replicas a, b) on one side, d3-d5 on the other.
    cut([0, 0, 1, 1, 1]);
    const minority = replicas.filter((r) => MINORITY.includes(r.id));
    const majority = replicas.filter((r) => !MINORITY.includes(r.id));
    await Promise.all([
      waitStatuses(minority, (s) => s.every((x) => x.mode === 'non-primary' && x.members.length === 2), WAIT_MS),
      waitStatuses(majority, (s) => s.every((x) => x.mode === 'primary' && x.members.length === 3 && !x.catchingUp), WAIT_MS),
    ]);
    const cutFrom = w.now();
    // The majority goes on; the minority refuses writes with the typed error and serves stale reads only.
    await w.moreAcks(40, WAIT_MS, (r) => !MINORITY.includes(r));
    // The minority's clients: requests sent before the cut time out (outcome unknown), later ones are refused.
    await w.moreErrors('NotPrimaryError', 8, WAIT_MS);
    await c.put('p/stale', 'after');
    for (const r of minority) {
      await assert.rejects(r.put('p/refused', r.id), (e: unknown) => e instanceof ReplicaError && e.name === 'NotPrimaryError');
      await assert.rejects(r.cas('p/stale', 'before', 'x'), (e: unknown) => e instanceof ReplicaError && e.name === 'NotPrimaryError');
      await assert.rejects(r.get('p/stale'), (e: unknown) => e instanceof ReplicaError && e.name === 'NotPrimaryError', 'no linearizable read in the minority');
      const local = await r.get('p/stale', 'local');
      assert.deepEqual([local.value, local.stale], ['before', true], `${r.id} serves the old value, flagged stale`);
    }
    assert.equal((await c.get('p/stale')).value, 'after');
    const healFrom = w.now();
    const minorityAcks = w.acks.filter((x) => MINORITY.includes(x.replica) && x.time > cutFrom && x.time < healFrom);
    assert.deepEqual(minorityAcks, [], 'the minority acknowledged nothing while cut off');

    cut(undefined);
    await waitStatuses(replicas, (s) => s.every((x) => x.mode === 'primary' && x.members.length === 5 && !x.catchingUp), WAIT_MS);
    await w.moreAcks(20, WAIT_MS, (r) => MINORITY.includes(r)); // the healed minority takes writes again
    await w.stop();
    const final = await waitStatuses(replicas, converged, WAIT_MS);

    await w.finalReads(replicas);
    for (const r of replicas) assert.deepEqual(await w.missingAcks(r), [], `every acknowledged put is on ${r.id}`);
    assert.equal((await a.get('p/stale', 'local')).value, 'after', 'the healed minority has the majority’s write');
    assert.equal((await a.get('p/refused', 'local')).value, null, 'the refused write never happened');
    const result = w.check();
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.badKeys, []);
    console.log(`# partition: ${w.history.events.length} history events, ${w.acked.size} acked puts, applied ${final[0]!.appliedIndex}, errors ${JSON.stringify([...w.errors])}`);
  } finally {
    cut(undefined);
    await Promise.all(replicas.map((r) => r.close()));
    await Promise.all(daemons.map((d) => d.stop()));
    dir.remove();
  }
});
