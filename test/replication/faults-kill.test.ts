// kill -9 of a minority of daemons together with their replicas, mid-stream, and restart (design
// 5.2 B.3, issue 7): five daemons on 127.0.0.1-5, one replica per daemon with its own LevelDB
// directory, clients writing, reading and compare-and-setting throughout. d1 (the ring's
// representative) and d4 are daemon processes and their replicas a and d replica processes: all
// four die by SIGKILL at once and come back on their old data directories. The other three daemons
// and replicas run in this process (fewer process starts on a loaded machine) and go on meanwhile.
// At the end every replica has one digest, no acknowledged write is lost, and the clients' history
// is linearizable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { RsmStatus } from '../../replication/rsm/index.ts';
import type { RunningDaemon } from '../../daemon/index.ts';
import { startTestDaemons } from '../support/daemon.ts';
import { converged, tempDir, waitStatuses } from './support/cluster.ts';
import { DaemonProcs } from './support/daemon-procs.ts';
import { KEEP_USER, loopbackConfig, SPREAD5_TIMEOUTS } from './support/daemons.ts';
import { FaultWorkload } from './support/fault-workload.ts';
import { LocalReplica } from './support/kv-replica.ts';
import { ReplicaProcess } from './support/replica-process.ts';

const IDS = ['a', 'b', 'c', 'd', 'e'];
const KILLED = [0, 3];
const PORT = 25300;
const WAIT_MS = 60_000;

test('kill -9 of two of five daemons with their replicas mid-stream, then restart: no acknowledged write lost, one digest, history linearizable', async () => {
  const config = loopbackConfig(5, PORT, SPREAD5_TIMEOUTS, ...KEEP_USER);
  const daemons = new DaemonProcs(config, 5, PORT);
  let inProcess: RunningDaemon[] = [];
  const dir = tempDir('kv-kill-');
  const replicas: Array<ReplicaProcess | LocalReplica> = [];
  const allPrimary = (n: number) => (s: readonly RsmStatus[]): boolean => s.every((x) => x.mode === 'primary' && x.members.length === n && !x.catchingUp);
  const T0 = Date.now();
  const phase = (what: string): void => console.log(`# ${what} at ${Date.now() - T0} ms`);
  try {
    const kept = IDS.flatMap((_, i) => (KILLED.includes(i) ? [] : [i]));
    inProcess = await startTestDaemons(config, kept.map((i) => `d${i + 1}`));
    await Promise.all(KILLED.map((i) => daemons.start(i)));
    phase('daemons up');
    const spread = (i: number): string => (KILLED.includes(i) ? daemons.spread(i) : `${inProcess[kept.indexOf(i)]!.tcpPort}@127.0.0.${i + 1}`);
    for (const [i, id] of IDS.entries()) {
      const o = { id, spread: spread(i), dataDir: join(dir.path, id), replicas: IDS, group: 'kvk' };
      replicas.push(KILLED.includes(i) ? new ReplicaProcess(o) : new LocalReplica(o));
    }
    await Promise.all(replicas.map((r) => r.start()));
    await waitStatuses(replicas, allPrimary(5), WAIT_MS);
    phase('primary');

    const w = new FaultWorkload({ clients: 10, keys: 10, prefix: 'k/', route: (c) => replicas[c % replicas.length] });
    w.start();
    await w.moreAcks(40, WAIT_MS);

    // kill -9 the daemons and their replicas at once, mid-stream.
    const killed = KILLED.map((i) => replicas[i] as ReplicaProcess);
    const survivors = replicas.filter((_, i) => !KILLED.includes(i));
    await Promise.all([...KILLED.map((i) => daemons.kill(i)), ...killed.map((r) => r.kill())]);
    const killedAt = w.now();
    phase('killed');
    await waitStatuses(survivors, allPrimary(3), WAIT_MS);
    phase('survivors primary');
    await w.moreAcks(40, WAIT_MS, (r) => survivors.some((s) => s.id === r)); // the majority goes on

    // Restart both daemons and the replicas on their old LevelDB directories (a replica retries
    // its connect until its daemon is up).
    phase('majority went on');
    await Promise.all([...KILLED.map((i) => daemons.start(i)), ...killed.map((r) => r.start())]);
    phase('restarted');
    await waitStatuses(replicas, allPrimary(5), WAIT_MS);
    phase('all primary again');
    await w.moreAcks(20, WAIT_MS, (r) => killed.some((k) => k.id === r)); // the restarted replicas take writes again
    await w.stop();
    const final = await waitStatuses(replicas, converged, WAIT_MS);
    phase('converged');

    await w.finalReads(replicas);
    for (const r of replicas) assert.deepEqual(await w.missingAcks(r), [], `every acknowledged put is on ${r.id}`);
    const result = w.check();
    phase('checked');
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.badKeys, []);
    assert.ok(w.acks.some((x) => x.time < killedAt && killed.some((k) => k.id === x.replica)), 'the killed replicas had acknowledged writes before the kill');
    console.log(`# kill: ${w.history.events.length} history events, ${w.acked.size} acked puts, applied ${final[0]!.appliedIndex}, errors ${JSON.stringify([...w.errors])}`);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await daemons.close();
    await Promise.all(inProcess.map((d) => d.stop()));
    dir.remove();
  }
});
