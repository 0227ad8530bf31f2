// The EVS checker catches what it must: each test breaks one property in a correct trace.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEvsRun, onePacketReliable } from './evs-checks.ts';
import type { DeliveryRecord, EvsRecord, EvsRunTrace } from './evs-trace.ts';
import { defaultEvsScenario } from '../sim/evs-sim.ts';
import { runEvsScenario } from '../sim/evs-run.ts';

// A 4-daemon run with a partition 2|2 and a heal under traffic.
const good = runEvsScenario(
  defaultEvsScenario(11, {
    daemons: 4,
    messagesPerDaemon: 150,
    meanIntervalMs: 10,
    workEndMs: 900,
    faults: [
      { at: 250, kind: 'partition', cells: [0, 0, 1, 1] },
      { at: 600, kind: 'heal' },
    ],
  }),
);

type Mutable = { -readonly [K in keyof EvsRunTrace]: EvsRunTrace[K] } & { records: EvsRecord[][] };

function copy(): Mutable {
  return JSON.parse(JSON.stringify(good.trace)) as Mutable;
}

function deliveries(t: Mutable, d: number): Array<{ i: number; r: DeliveryRecord }> {
  return t.records[d]!.flatMap((r, i) => (r.kind === 'deliver' ? [{ i, r }] : []));
}

function violations(t: EvsRunTrace): string {
  return checkEvsRun(t).violations.join('\n');
}

describe('EVS checker', () => {
  test('the unmodified run passes, and it has what the tests below break', () => {
    assert.deepEqual(checkEvsRun(good.trace).violations, []);
    const all = good.trace.records.flat();
    assert.ok(all.some((r) => r.kind === 'transitional' && r.members.length === 2));
    assert.ok(all.some((r) => r.kind === 'deliver' && r.service === 'SAFE'));
  });

  test('virtual synchrony: a member of T that misses a message the others delivered', () => {
    const t = copy();
    const victim = deliveries(t, 0).find(({ r }) => !onePacketReliable(r) && r.t > 300)!;
    t.records[0]!.splice(victim.i, 1);
    assert.match(violations(t), /virtual synchrony|never delivered|skipping|before/);
  });

  test('total order: two messages delivered the other way round', () => {
    const t = copy();
    const ds = deliveries(t, 1).filter(({ r }) => !onePacketReliable(r) && !r.inTransitional);
    const [a, b] = [ds[3]!, ds[4]!];
    t.records[1]![a.i] = b.r;
    t.records[1]![b.i] = a.r;
    assert.match(violations(t), /delivered before|conflicting orders|precedes/);
  });

  test('deliver once: a duplicate delivery', () => {
    const t = copy();
    const d = deliveries(t, 2)[5]!;
    t.records[2]!.splice(d.i + 1, 0, d.r);
    assert.match(violations(t), /twice/);
  });

  test('unique configurations: one transitional id with two member sets', () => {
    const t = copy();
    const i = t.records[3]!.findIndex((r) => r.kind === 'transitional' && r.members.length > 1);
    const r = t.records[3]![i] as Extract<EvsRecord, { kind: 'transitional' }>;
    t.records[3]![i] = { ...r, members: [3] };
    assert.match(violations(t), /transitional .* is \[/);
  });

  test('delivered in the wrong configuration', () => {
    const t = copy();
    const d = deliveries(t, 0).find(({ r }) => !r.inTransitional && r.t > 300)!;
    t.records[0]![d.i] = { ...d.r, config: 'nonsense' };
    assert.match(violations(t), /while in/);
  });

  test('self delivery: the sender never delivers its own message', () => {
    const t = copy();
    const s = t.sent.find((x) => x.daemon === 2 && x.t > 300)!;
    t.records[2] = t.records[2]!.filter((r) => !(r.kind === 'deliver' && r.key === s.key));
    assert.match(violations(t), /sent .* (without delivering|never delivered)/);
  });

  test('Safe: a member of the configuration did not hold the message when it was delivered', () => {
    const t = copy();
    const d = deliveries(t, 1).find(({ r }) => r.service === 'SAFE' && !r.inTransitional)!;
    t.records[1]![d.i] = { ...d.r, safeMissingAt: [0] };
    assert.match(violations(t), /Safe .* did not hold it/);
  });

  test('liveness: daemons that end in different rings, or settle too late', () => {
    const t = copy();
    t.final = t.final.map((f, i) => (i === 3 ? { ...f, ring: 'other' } : f));
    assert.match(violations(t), /liveness: d3 ends/);
    const late = copy();
    late.settleBoundMs = 1;
    assert.match(violations(late), /installed its last ring at/);
  });

  test('FIFO: a later message of one sender delivered before an earlier one it sent in the same ring', () => {
    const t = copy();
    const mine = deliveries(t, 0).filter(({ r }) => r.originator === 1 && !onePacketReliable(r) && !r.inTransitional);
    const [a, b] = [mine[1]!, mine[2]!];
    t.records[0]![a.i] = b.r;
    t.records[0]![b.i] = a.r;
    assert.match(violations(t), /stream|before/);
  });
});
