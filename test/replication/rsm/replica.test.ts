// The RSM on one real daemon with real LevelDB directories: convergence, bad input, dedup,
// minority behaviour, crash and restart, state transfer by log tail and by snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startTestDaemon } from '../../support/daemon.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import {
  CommandFailedError,
  CommandTooLargeError,
  InvalidCommandError,
  NotPrimaryError,
  Rsm,
  RsmConfigError,
  SnapshotCorruptError,
  type Json,
  type RsmOptions,
  type StateMachine,
} from '../../../replication/rsm/index.ts';
import { counterMachine } from '../support/machines.ts';
import { converged, tempDir, waitStatuses } from '../support/cluster.ts';

let daemon: RunningDaemon;
before(async () => {
  daemon = await startTestDaemon();
});
after(async () => {
  await daemon.stop();
});

const IDS = ['a', 'b', 'c'];
function opener(dir: string, extra: Partial<RsmOptions> = {}) {
  return (id: string, machine: StateMachine = counterMachine, more: Partial<RsmOptions> = {}): Promise<Rsm> =>
    Rsm.open(machine, { replicaId: id, replicas: IDS, spread: `${daemon.tcpPort}@127.0.0.1`, dataDir: join(dir, id), group: `g${dir.slice(-6)}`, ...extra, ...more });
}

for (const durability of ['quorum', 'safe'] as const) {
  test(`${durability}: three replicas converge under concurrent writers`, async () => {
    const dir = tempDir();
    const open = opener(dir.path, { durability });
    const rs = await Promise.all(IDS.map((id) => open(id)));
    try {
      await Promise.all(rs.map((r) => r.whenPrimary()));
      const results = await Promise.all(Array.from({ length: 90 }, (_, i) => rs[i % 3]!.submit({ op: 'add', key: `k${i % 5}`, by: 1 })));
      const indices = results.map((r) => r.index).sort((x, y) => x - y);
      assert.deepEqual(indices, Array.from({ length: 90 }, (_, i) => i + 1), 'every command got its own index');
      const s = await waitStatuses(rs, converged);
      assert.equal(s[0]!.appliedIndex, 90);
      for (const r of rs) {
        const v = await r.read((view) => view.state!, { consistency: 'local' });
        assert.equal(v.value.total, 90);
      }
    } finally {
      await Promise.all(rs.map((r) => r.close()));
      dir.remove();
    }
  });
}

test('bad input gets a clear error and loses nothing', async () => {
  const dir = tempDir();
  const open = opener(dir.path, { maxCommandBytes: 1024 });
  const validating: StateMachine = { ...counterMachine, validate: (c) => { if ((c as { op?: unknown }).op === 'reject-me') throw new Error('op reject-me is not allowed'); } };
  const rs = await Promise.all(IDS.map((id) => open(id, validating)));
  try {
    await Promise.all(rs.map((r) => r.whenPrimary()));
    await rs[0]!.submit({ op: 'add', key: 'x', by: 5 });
    await assert.rejects(rs[0]!.submit({ op: 'nope' }), (e: unknown) => e instanceof CommandFailedError && /unknown command "nope"/.test(e.message));
    await assert.rejects(rs[1]!.submit({ op: 'boom' }), CommandFailedError);
    await assert.rejects(rs[1]!.submit({ op: 'append', key: 'l', item: 'x'.repeat(2000) }), CommandTooLargeError);
    await assert.rejects(rs[2]!.submit({ op: 'reject-me' }), (e: unknown) => e instanceof InvalidCommandError && /not allowed/.test(e.message));
    await assert.rejects(rs[2]!.submit({ op: 'add', key: 'x', by: 1 }, { service: 'agreed' }).then(() => rs[2]!.submit({ op: 'add', key: 'x', by: 1 })).then(() => { throw new Error('ok'); }), /ok/);
    const s = await waitStatuses(rs, converged);
    assert.equal(s[0]!.appliedIndex, 5, 'failed commands take an index, refused ones do not');
    const v = await rs[0]!.read((view) => view.state!['x']);
    assert.equal(v.value, 7);
  } finally {
    await Promise.all(rs.map((r) => r.close()));
    dir.remove();
  }
});

test('replica ids must be legal Spread private names (1..10 characters)', async () => {
  const dir = tempDir();
  const open = (replicas: string[], replicaId: string) =>
    Rsm.open(counterMachine, { replicaId, replicas, spread: `${daemon.tcpPort}@127.0.0.1`, dataDir: join(dir.path, 'x') });
  await assert.rejects(open(['averyverylongname', 'b'], 'averyverylongname'), (e: unknown) => e instanceof RsmConfigError && /1\.\.10 characters/.test(e.message));
  await assert.rejects(open(['a#b', 'c'], 'c'), RsmConfigError);
  await assert.rejects(open(['', 'c'], 'c'), RsmConfigError);
  dir.remove();
});

test('agreed commands are refused with safe durability', async () => {
  const dir = tempDir();
  await assert.rejects(opener(dir.path, { durability: 'safe', service: 'agreed' })('a'), RsmConfigError);
  dir.remove();
});

test('a retried request id is applied once and answered from the session table', async () => {
  const dir = tempDir();
  const open = opener(dir.path);
  const rs = await Promise.all(IDS.map((id) => open(id)));
  try {
    await Promise.all(rs.map((r) => r.whenPrimary()));
    const requestId = { clientId: 'client-1', seq: 7 };
    const first = await rs[0]!.submit({ op: 'add', key: 'x', by: 10 }, { requestId });
    const again = await rs[1]!.submit({ op: 'add', key: 'x', by: 10 }, { requestId });
    assert.equal(again.result, first.result);
    const v = await rs[2]!.read((view) => view.state!['x']);
    assert.equal(v.value, 10);
  } finally {
    await Promise.all(rs.map((r) => r.close()));
    dir.remove();
  }
});

test('a minority refuses writes and serves stale local reads only', async () => {
  const dir = tempDir();
  const open = opener(dir.path);
  const a = await open('a');
  try {
    await waitStatuses([a], (s) => s[0]!.mode === 'non-primary');
    await assert.rejects(a.submit({ op: 'add', key: 'x', by: 1 }), NotPrimaryError);
    await assert.rejects(a.read((v) => v.state), NotPrimaryError);
    const local = await a.read((v) => v.state!['total'], { consistency: 'local' });
    assert.equal(local.stale, true);
    assert.equal(local.value, 0);
  } finally {
    await a.close();
    dir.remove();
  }
});

describe('crash and restart', () => {
  test('a killed replica restarts from LevelDB and catches up by log tail; no acknowledged write lost', async () => {
    const dir = tempDir();
    const open = opener(dir.path);
    const rs = await Promise.all(IDS.map((id) => open(id)));
    let [a, b, c] = rs as [Rsm, Rsm, Rsm];
    try {
      await Promise.all(rs.map((r) => r.whenPrimary()));
      const acked: string[] = [];
      let n = 0;
      const writer = async (r: Rsm, stop: () => boolean): Promise<void> => {
        while (!stop()) {
          const item = `i${n++}`;
          try {
            await r.submit({ op: 'append', key: 'log', item });
            acked.push(item);
          } catch {
            // outcome unknown or refused: not acknowledged
          }
        }
      };
      let stopped = false;
      const w = Promise.all([writer(a, () => stopped), writer(b, () => stopped), writer(c, () => stopped || c.status.mode === 'closed')]);
      await waitStatuses([a], (s) => s[0]!.appliedIndex >= 30);
      await c.kill();
      await waitStatuses([a], (s) => s[0]!.appliedIndex >= 80);
      c = await open('c');
      await c.whenPrimary();
      await waitStatuses([a], (s) => s[0]!.appliedIndex >= 120);
      stopped = true;
      await w;
      const s = await waitStatuses([a, b, c], converged);
      const list = (await c.read((v) => v.state!['log'] as string[])).value;
      // Resent duplicates take an index but change nothing, so the list may be shorter than the index.
      assert.ok(list.length <= s[0]!.appliedIndex);
      assert.equal(new Set(list).size, list.length, 'no command applied twice');
      for (const item of acked) assert.ok(list.includes(item), `acknowledged ${item} present`);
    } finally {
      await Promise.all([a, b, c].map((r) => r.close()));
      dir.remove();
    }
  });

  test('a replica behind the log retention catches up by snapshot; a corrupt snapshot is rejected', async () => {
    const dir = tempDir();
    const open = opener(dir.path, { logRetention: 10 });
    const a = await open('a', counterMachine, { testHooks: { corruptSnapshot: true } });
    const b = await open('b');
    let c = await open('c');
    try {
      await Promise.all([a, b, c].map((r) => r.whenPrimary()));
      await c.kill();
      await waitStatuses([a, b], (s) => s.every((x) => x.mode === 'primary' && x.members.length === 2));
      for (let i = 0; i < 400; i++) await (i % 2 ? a : b).submit({ op: 'add', key: `k${i % 50}`, by: 1 });
      c = await open('c');
      const s = await waitStatuses([a, b, c], converged, 30_000);
      assert.equal(s[0]!.appliedIndex, 400);
      assert.ok(c.lastTransferError instanceof SnapshotCorruptError, 'the corrupt snapshot from a was rejected');
      assert.match(c.lastTransferError.message, /digest/);
      const v = await c.read((view) => view.state!['total'], { consistency: 'local' });
      assert.equal(v.value, 400);
      // The restarted replica keeps working as a full member.
      await c.submit({ op: 'add', key: 'z', by: 1 });
      await waitStatuses([a, b, c], (st) => converged(st) && st[0]!.appliedIndex === 401);
    } finally {
      await Promise.all([a, b, c].map((r) => r.close()));
      dir.remove();
    }
  });
});

test('a database of another replica or machine is refused', async () => {
  const dir = tempDir();
  const open = opener(dir.path);
  const a = await open('a');
  await a.close();
  const other: StateMachine<Json, Json> = { ...counterMachine, name: 'other' };
  await assert.rejects(Rsm.open(other, { replicaId: 'a', replicas: IDS, spread: `${daemon.tcpPort}@127.0.0.1`, dataDir: join(dir.path, 'a') }), RsmConfigError);
  dir.remove();
});
