// The replicated KV store on three real daemons (127.0.0.1-3) with real LevelDB directories:
// the API, watches, TTL, bad input, a linearizability check over a recorded history, and a
// replica process killed with SIGKILL mid-stream and restarted from its LevelDB.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startTestDaemons, threeDaemonConfig } from '../../support/daemon.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { KvStore, KvValueTooLargeError, type KvEvent } from '../../../replication/kv/index.ts';
import { InvalidCommandError } from '../../../replication/rsm/index.ts';
import { converged, tempDir, waitStatuses } from '../support/cluster.ts';
import { checkHistory, HistoryRecorder } from '../linearizability.ts';

const IDS = ['a', 'b', 'c'];
let daemons: RunningDaemon[];
let dir: ReturnType<typeof tempDir>;
let kvs: KvStore[];
const enc = new TextEncoder();
const dec = new TextDecoder();
const spreadOf = (i: number): string => `${daemons[i]!.tcpPort}@127.0.0.${i + 1}`;

before(async () => {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  daemons = await startTestDaemons(threeDaemonConfig(port), ['d1', 'd2', 'd3']);
  dir = tempDir('kv-test-');
  // The daemons form their ring first; replicas retry the connect until then.
  kvs = await Promise.all(IDS.map((id, i) => openWithRetry(id, i)));
  await Promise.all(kvs.map((k) => k.rsm.whenPrimary(30_000)));
});

after(async () => {
  await Promise.all(kvs.map((k) => k.close()));
  await Promise.all(daemons.map((d) => d.stop()));
  dir.remove();
});

async function openWithRetry(id: string, i: number, group = 'kvt'): Promise<KvStore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await KvStore.open({ replicaId: id, replicas: IDS, spread: spreadOf(i), dataDir: join(dir.path, id), group, janitorIntervalMs: 200, maxValueBytes: 4096, ...(process.env.RSM_LOG ? { log: (l: string) => console.error(l) } : {}) });
    } catch (err) {
      if (attempt > 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

test('put, get, delete, compare-and-set, batch and range', async () => {
  const [a, b, c] = kvs as [KvStore, KvStore, KvStore];
  const p = await a.put('api/x', enc.encode('1'));
  assert.equal(p.ok, true);
  const g = await b.get('api/x');
  assert.equal(dec.decode(g.entry!.value), '1');
  assert.equal(g.entry!.version, 1);
  assert.equal(g.stale, false);
  assert.ok(g.index >= p.index, 'a linearizable read sees the acknowledged write');
  const cas1 = await c.compareAndSet('api/x', { modIndex: g.entry!.modIndex }, enc.encode('2'));
  const cas2 = await b.compareAndSet('api/x', { modIndex: g.entry!.modIndex }, enc.encode('3'));
  assert.deepEqual([cas1.ok, cas2.ok], [true, false]);
  assert.equal(dec.decode(cas2.current!.value), '2');
  const abs = await a.compareAndSet('api/new', { absent: true }, enc.encode('n'));
  assert.equal(abs.ok, true);
  const guarded = await a.batch([{ op: 'put', key: 'api/y', value: enc.encode('y') }, { op: 'delete', key: 'api/new' }], { guards: [{ key: 'api/new', absent: true }] });
  assert.equal(guarded.ok, false, 'a failed guard applies nothing');
  assert.equal((await c.get('api/y')).entry, undefined);
  const ok = await a.batch([{ op: 'put', key: 'api/y', value: enc.encode('y') }, { op: 'delete', key: 'api/new' }], { guards: [{ key: 'api/x', modIndex: cas1.index }] });
  assert.equal(ok.ok, true);
  const r = await c.range({ prefix: 'api/' });
  assert.deepEqual(r.entries.map((e) => e.key), ['api/x', 'api/y']);
  const lim = await c.range({ prefix: 'api/', limit: 1 });
  assert.deepEqual([lim.entries.length, lim.more], [1, true]);
  const d = await b.delete('api/x');
  assert.equal(d.deleted, true);
  assert.equal((await a.get('api/x')).entry, undefined);
  const dr = await b.deleteRange('api/');
  assert.equal(dr.deleted, 1);
  const local = await c.get('api/y', { consistency: 'local' });
  assert.equal(typeof local.index, 'number');
  const session = await c.get('api/y', { consistency: 'session', minIndex: dr.index });
  assert.ok(session.index >= dr.index);
  assert.equal(session.entry, undefined);
});

test('bad input: oversized value and bad keys are refused; nothing else is lost', async () => {
  const [a, b] = kvs as [KvStore, KvStore];
  await a.put('bad/keep', enc.encode('k'));
  await assert.rejects(a.put('bad/big', new Uint8Array(5000)), (e: unknown) => e instanceof InvalidCommandError && e.cause instanceof KvValueTooLargeError);
  await assert.rejects(a.put('', enc.encode('x')), InvalidCommandError);
  await assert.rejects(a.rsm.submit({ t: 'frobnicate' }), /unknown KV command/);
  assert.equal(dec.decode((await b.get('bad/keep')).entry!.value), 'k');
  assert.equal((await b.get('bad/big')).entry, undefined);
});

test('watch(prefix) emits changes in index order, replays from an index, and sees expiry', async () => {
  const [a, b, c] = kvs as [KvStore, KvStore, KvStore];
  const start = (await a.put('w0/seed', enc.encode('s'))).index;
  await c.get('w0/seed', { consistency: 'session', minIndex: start }); // c has applied the seed: a live watch starts after it
  const seen: KvEvent[] = [];
  const sub = c.watch({ prefix: 'w0/' }).subscribe((e) => seen.push(e));
  const replay: KvEvent[] = [];
  const sub2 = b.watch({ prefix: 'w0/', fromIndex: start }).subscribe((e) => replay.push(e));
  await a.put('w0/1', enc.encode('1'));
  await b.put('other/1', enc.encode('1'));
  await a.delete('w0/1');
  await a.put('w0/ttl', enc.encode('t'), { ttlMs: 100 });
  await waitStatuses([c.rsm], () => seen.some((e) => e.type === 'expire'), 30_000);
  sub.unsubscribe();
  sub2.unsubscribe();
  const kinds = seen.map((e) => `${e.type}:${'key' in e ? e.key : ''}`);
  assert.deepEqual(kinds, ['put:w0/1', 'delete:w0/1', 'put:w0/ttl', 'expire:w0/ttl']);
  const idx = seen.map((e) => e.index);
  assert.deepEqual(idx, [...idx].sort((x, y) => x - y));
  assert.equal(replay[0]!.type, 'put');
  assert.equal((replay[0] as { key: string }).key, 'w0/seed', 'replay starts at fromIndex');
  assert.equal((await a.get('w0/ttl')).entry, undefined);
});

test('concurrent clients on three nodes: the history is linearizable and replicas converge', async () => {
  const t0 = performance.now();
  const h = new HistoryRecorder(() => performance.now() - t0);
  const keys = ['r1', 'r2', 'r3'];
  let valueNo = 0;
  const client = async (proc: number): Promise<void> => {
    const kv = kvs[proc % 3]!;
    for (let i = 0; i < 25; i++) {
      const key = `lin/${keys[(proc + i) % keys.length]}`;
      const roll = (proc * 31 + i * 17) % 10;
      if (roll < 4) {
        const v = `v${valueNo++}`;
        await h.run(proc, 'write', key, v, () => kv.put(key, enc.encode(v), { service: proc % 2 ? 'agreed' : 'safe' }), () => undefined);
      } else if (roll < 8) {
        await h.run(proc, 'read', key, undefined, () => kv.get(key), (r) => (r.entry === undefined ? null : dec.decode(r.entry.value)));
      } else {
        const cur = await kv.get(key, { consistency: 'local' });
        const expect = cur.entry === undefined ? null : dec.decode(cur.entry.value);
        const v = `v${valueNo++}`;
        await h.run(
          proc,
          'cas',
          key,
          [expect, v],
          () => kv.compareAndSet(key, expect === null ? { absent: true } : { value: enc.encode(expect) }, enc.encode(v)),
          (r) => r.ok,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, (_, p) => client(p)));
  const result = checkHistory(h.events);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.badKeys, []);
  assert.ok(h.events.length >= 300);
  await waitStatuses(kvs.map((k) => k.rsm), converged);
});

test('a replica process killed with SIGKILL mid-stream restarts from LevelDB; no acknowledged write lost', async () => {
  const [a, b] = kvs as [KvStore, KvStore];
  // Replace c by a writer process on the same data directory.
  await kvs[2]!.close();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/replication/support/kv-writer.ts', 'c', spreadOf(2), join(dir.path, 'c'), IDS.join(',')], {
    cwd: new URL('../../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: string[] = [];
  const enough = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const o = JSON.parse(l) as { acked?: string };
      if (o.acked !== undefined) acked.push(o.acked);
      if (acked.length === 40) resolve();
    });
  });
  const exited = new Promise((r) => child.once('exit', r));
  // Writers on a and b keep going while c is killed.
  let stop = false;
  const bg = (async () => {
    for (let i = 0; !stop; i++) await (i % 2 ? a : b).put(`bg/${i}`, enc.encode('b')).catch(() => undefined);
  })();
  await enough;
  child.kill('SIGKILL');
  await exited;
  kvs[2] = await openWithRetry('c', 2);
  await kvs[2].rsm.whenPrimary(30_000);
  stop = true;
  await bg;
  await waitStatuses(kvs.map((k) => k.rsm), converged, 60_000);
  for (const key of acked) {
    for (const kv of kvs) assert.ok((await kv.get(key, { consistency: 'local' })).entry !== undefined, `${key} acknowledged before the kill is on every replica`);
  }
});
