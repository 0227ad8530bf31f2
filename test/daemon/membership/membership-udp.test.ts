// Membership over real UDP on 127.0.0.1, .2 and .3 (ports 31500..31899), with timeouts scaled
// down: three daemons start alone and form one ring; a daemon killed with SIGKILL is detected
// and the two others form a new ring (transitional, then regular configuration); restarted on
// the same ports it merges back; a partition 1|2 splits the ring and healing merges it again.
// d1 and d2 are drivers in this process, d3 a child process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GUIDE_TIMEOUTS, scaleTimeouts } from '../../../daemon/config/index.ts';
import { RingDriver } from '../../../daemon/net/ring-driver.ts';
import type { RingUpcall } from '../../../daemon/ring/index.ts';
import { formatRingId, type RingId } from '../../../daemon/wire/index.ts';
import { testConfig } from '../../sim/config.ts';

// The guide's local set / 25 (Token 200 ms, Hurry 80 ms, Seg 80 ms, Gather and Form 200 ms),
// Lookup shortened so that healed partitions merge quickly.
const TIMEOUTS = { ...scaleTimeouts(GUIDE_TIMEOUTS.local, 0.04), lookupMs: 600 };

type Upcall = { type: 'message'; text: string; config: RingId } | Exclude<RingUpcall, { type: 'message' }> | { type: 'started' };

class Child {
  readonly events: Upcall[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;
  constructor(port: number) {
    const script = fileURLToPath(new URL('./udp-daemon.ts', import.meta.url));
    this.proc = spawn(process.execPath, ['--import', 'tsx', script, String(port), '2', JSON.stringify(TIMEOUTS)]);
    createInterface({ input: this.proc.stdout }).on('line', (l) => this.events.push(JSON.parse(l) as Upcall));
    this.proc.stderr.on('data', (b: Buffer) => process.stderr.write(`[d3] ${b.toString()}`));
  }
  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }
  kill(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      this.proc.once('exit', () => resolve());
      this.proc.kill('SIGKILL');
    });
  }
}

async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function lastRegular(events: ReadonlyArray<Upcall>): Extract<Upcall, { type: 'regular' }> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'regular') return e;
  }
  return undefined;
}

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup) await c();
});

test('three daemons: form, detect a killed daemon, merge it back, split 1|2 and heal', { timeout: 60_000 }, async () => {
  // a free port pair in 31500..31899
  let port = 0;
  let drivers: RingDriver[] = [];
  const config0 = testConfig({ daemons: 3 });
  for (let attempt = 0; attempt < 20 && port === 0; attempt++) {
    const p = 31500 + 2 * Math.floor(Math.random() * 200);
    const config = { ...testConfig({ daemons: 3, port: p }), timeouts: TIMEOUTS };
    const ds = config.daemons.slice(0, 2).map((self) => new RingDriver({ config, self }));
    try {
      await Promise.all(ds.map((d) => d.start()));
      drivers = ds;
      port = p;
    } catch (err) {
      await Promise.all(ds.map((d) => d.stop()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  assert.ok(port > 0, 'a free port pair');
  cleanup.push(() => Promise.all(drivers.map((d) => d.stop())).then(() => undefined));
  const ids = config0.daemons.map((d) => d.id);
  const [d1, d2] = drivers as [RingDriver, RingDriver];
  const seen: Upcall[][] = [[], []];
  drivers.forEach((d, i) =>
    d.onDeliver((u) => seen[i]!.push(u.type === 'message' ? { type: 'message', text: Buffer.from(u.payload).toString(), config: u.configId } : u)),
  );
  let child = new Child(port);
  cleanup.push(() => child.kill());
  const views = (): string => `d1 ${JSON.stringify(d1.status().members)} ${d1.status().state}, d2 ${JSON.stringify(d2.status().members)}, d3 ${JSON.stringify(lastRegular(child.events)?.members)}`;
  const allIn = (members: number[]): boolean =>
    [seen[0]!, seen[1]!, child.events].every((ev) => JSON.stringify(lastRegular(ev)?.members) === JSON.stringify(members)) &&
    drivers.every((d) => d.status().state === 'OP');

  // 1. start alone, form one ring of three
  await waitFor(() => allIn(ids), 15_000, views);
  const ring3 = lastRegular(seen[0]!)!.ringId;
  assert.deepEqual(lastRegular(child.events)!.ringId, ring3, 'one ring id everywhere');
  assert.equal(d1.status().leader, ids[0]);
  assert.ok(d1.status().counters.membershipChanges >= 1);
  // messages reach everyone, delivered in the ring's configuration
  d1.submit({ service: 'AGREED', payload: Buffer.from('hello from d1') });
  child.send('send SAFE hello from d3');
  const delivered = (ev: ReadonlyArray<Upcall>, text: string) => ev.some((e) => e.type === 'message' && e.text === text);
  await waitFor(
    () => [seen[0]!, seen[1]!, child.events].every((ev) => delivered(ev, 'hello from d1') && delivered(ev, 'hello from d3')),
    10_000,
    () => 'messages',
  );

  // 2. kill -9 d3: d1 and d2 see a transitional configuration {d1,d2}, then the regular one
  const before = seen.map((s) => s.length);
  const atKill = seen.map((s) => lastRegular(s)!.ringId);
  await child.kill();
  const two = JSON.stringify(ids.slice(0, 2));
  await waitFor(() => seen.every((ev) => JSON.stringify(lastRegular(ev)?.members) === two) && drivers.every((d) => d.status().state === 'OP'), 15_000, views);
  for (const [i, ev] of seen.entries()) {
    const changes = ev.slice(before[i]).filter((e) => e.type !== 'message');
    const trans = changes.find((e) => e.type === 'transitional');
    assert.ok(trans !== undefined && trans.type === 'transitional', `d${i + 1} got a transitional configuration`);
    assert.deepEqual(trans.members, ids.slice(0, 2));
    assert.deepEqual(trans.fromRingId, atKill[i], 'leaves the ring d3 was in');
    const reg = changes[changes.length - 1]!;
    assert.equal(reg.type, 'regular');
    assert.ok(changes.indexOf(trans) < changes.indexOf(reg), 'transitional before regular');
    assert.deepEqual((reg as Extract<Upcall, { type: 'regular' }>).members, ids.slice(0, 2));
  }
  d2.submit({ service: 'AGREED', payload: Buffer.from('two left') });
  await waitFor(() => delivered(seen[0]!, 'two left') && delivered(seen[1]!, 'two left'), 10_000, () => 'two left');

  // 3. restart d3 on the same ports: it starts alone and merges back
  child = new Child(port);
  await waitFor(() => allIn(ids), 15_000, views);
  const merged = lastRegular(seen[0]!)!;
  assert.notEqual(formatRingId(merged.ringId), formatRingId(ring3));
  child.send('send FIFO back again');
  await waitFor(() => [seen[0]!, seen[1]!, child.events].every((ev) => delivered(ev, 'back again')), 10_000, () => 'back again');

  // 4. partition 1|2 (d1 alone, d2 with d3) and heal
  d1.setPartition([0, 1, 1]);
  d2.setPartition([0, 1, 1]);
  child.send('partition 0 1 1');
  assert.deepEqual(d1.status().partition, [0, 1, 1]);
  await waitFor(
    () =>
      JSON.stringify(lastRegular(seen[0]!)?.members) === JSON.stringify([ids[0]]) &&
      JSON.stringify(lastRegular(seen[1]!)?.members) === JSON.stringify(ids.slice(1)) &&
      JSON.stringify(lastRegular(child.events)?.members) === JSON.stringify(ids.slice(1)),
    15_000,
    views,
  );
  assert.ok(d1.status().driver.partitioned > 0, 'datagrams from the other cell were dropped');
  d1.setPartition(undefined);
  d2.setPartition(undefined);
  child.send('heal');
  await waitFor(() => allIn(ids), 15_000, views);
  d1.submit({ service: 'SAFE', payload: Buffer.from('healed') });
  await waitFor(() => [seen[0]!, seen[1]!, child.events].every((ev) => delivered(ev, 'healed')), 10_000, () => 'healed');
  for (const d of drivers) assert.equal(d.status().counters.anomalies, 0);
});
