// The EVS simulator on named scenarios of the catalogue (design 10.3, 1 to 6 and 8 at the ring
// level), each checked by the EVS checker and asserting what should have happened.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RegularRecord, TransitionalRecord } from '../checkers/evs-trace.ts';
import { defaultEvsScenario, type EvsScenario } from './evs-sim.ts';
import { describeEvsFailure, runEvsScenario, type EvsRunResult } from './evs-run.ts';

function run(sc: EvsScenario): EvsRunResult {
  const r = runEvsScenario(sc);
  if (r.violations.length > 0) assert.fail(describeEvsFailure(r));
  assert.ok(r.trace.finished);
  return r;
}

function regulars(r: EvsRunResult, d: number): RegularRecord[] {
  return r.trace.records[d]!.filter((x): x is RegularRecord => x.kind === 'regular');
}

function transitionals(r: EvsRunResult, d: number): TransitionalRecord[] {
  return r.trace.records[d]!.filter((x): x is TransitionalRecord => x.kind === 'transitional');
}

describe('EVS simulator', () => {
  test('same seed, same run: identical traces; another seed differs', () => {
    const sc = defaultEvsScenario(7, {
      daemons: 4,
      loss: 0.05,
      faults: [
        { at: 150, kind: 'partition', cells: [0, 0, 1, 1] },
        { at: 400, kind: 'heal' },
      ],
    });
    const a = run(sc);
    const b = run(sc);
    assert.deepEqual(b.trace.records, a.trace.records);
    assert.deepEqual(b.stats, a.stats);
    assert.notDeepEqual(run({ ...sc, seed: 8 }).trace.records, a.trace.records);
  });

  test('1: one daemon boots alone, forms a singleton ring and delivers every service', () => {
    const r = run(defaultEvsScenario(1, { daemons: 1, messagesPerDaemon: 60, hugePerDaemon: 1 }));
    assert.deepEqual(regulars(r, 0).map((x) => x.members), [[0]]);
    assert.equal(r.stats.delivered, 60);
  });

  test('2: nine daemons boot at different times into one ring; a late one merges into the running ring', () => {
    const bootAt = [0, 3, 40, 41, 90, 100, 180, 250, 900];
    const r = run(defaultEvsScenario(2, { daemons: 9, bootAt, workEndMs: 1100, messagesPerDaemon: 20 }));
    for (let d = 0; d < 9; d++) assert.deepEqual(regulars(r, d).at(-1)!.members, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(regulars(r, 8).length <= 2, 'the late daemon: a singleton ring at most, then the merge');
  });

  test('3: 20% loss with duplication and reordering: one order, no loss, Safe (the checker), retransmissions happen', () => {
    const r = run(defaultEvsScenario(3, { daemons: 5, loss: 0.2, duplicate: 0.05, jitterMs: 0.5, messagesPerDaemon: 60 }));
    assert.ok(r.stats.lost > 100);
  });

  test('4: the leader crashes under traffic: the others deliver a transitional configuration without it, then a ring without it', () => {
    const r = run(defaultEvsScenario(4, { daemons: 4, messagesPerDaemon: 80, meanIntervalMs: 2, faults: [{ at: 300, kind: 'crash', daemon: 0 }] }));
    for (const d of [1, 2, 3]) {
      const t = transitionals(r, d).at(-1)!;
      assert.deepEqual(t.members, [1, 2, 3]);
      assert.deepEqual(regulars(r, d).at(-1)!.members, [1, 2, 3]);
    }
  });

  test('4: crashes during GATHER, FORM and EVS after committing, with restarts', () => {
    const r = run(
      defaultEvsScenario(5, {
        daemons: 5,
        messagesPerDaemon: 60,
        faults: [
          { at: 200, kind: 'partition', cells: [0, 0, 1, 1, 1] },
          { at: 500, kind: 'heal' },
        ],
        triggers: [
          { daemon: 4, on: 'GATHER', nth: 2, restartAfterMs: 50 },
          { daemon: 3, on: 'FORM', nth: 2, restartAfterMs: 80 },
          { daemon: 1, on: 'commit', nth: 2, restartAfterMs: 30 },
        ],
      }),
    );
    assert.ok(r.stats.crashes >= 2);
    for (let d = 0; d < 5; d++) assert.deepEqual(regulars(r, d).at(-1)!.members, [0, 1, 2, 3, 4]);
  });

  test('5: partition 2|3 under Safe traffic gives two rings; healing merges them', () => {
    const r = run(
      defaultEvsScenario(6, {
        daemons: 5,
        messagesPerDaemon: 80,
        meanIntervalMs: 2,
        faults: [
          { at: 250, kind: 'partition', cells: [0, 0, 1, 1, 1] },
          { at: 700, kind: 'heal' },
        ],
      }),
    );
    const during = (d: number) => regulars(r, d).find((x) => x.t > 250 && x.t < 700)!.members;
    assert.deepEqual(during(0), [0, 1]);
    assert.deepEqual(during(4), [2, 3, 4]);
    assert.deepEqual(transitionals(r, 3).find((x) => x.t > 250)!.members, [2, 3, 4]);
    for (let d = 0; d < 5; d++) assert.deepEqual(regulars(r, d).at(-1)!.members, [0, 1, 2, 3, 4]);
  });

  test('5: partition 1|1|1, then repeated partitions and heals (cascades)', () => {
    const r = run(
      defaultEvsScenario(7, {
        daemons: 3,
        faults: [
          { at: 200, kind: 'partition', cells: [0, 1, 2] },
          { at: 330, kind: 'heal' },
          { at: 335, kind: 'partition', cells: [0, 1, 1] },
          { at: 360, kind: 'partition', cells: [0, 0, 1] },
          { at: 700, kind: 'heal' },
        ],
      }),
    );
    assert.ok(regulars(r, 0).some((x) => x.members.length === 1 && x.t > 200));
    for (let d = 0; d < 3; d++) assert.deepEqual(regulars(r, d).at(-1)!.members, [0, 1, 2]);
  });

  test('6: token loss only: the ring re-forms with the same members (T = C = C\'), nothing lost or duplicated', () => {
    const r = run(defaultEvsScenario(8, { daemons: 4, messagesPerDaemon: 60, faults: [{ at: 300, kind: 'blackout', forMs: 120, channel: 'token' }] }));
    for (let d = 0; d < 4; d++) {
      const rs = regulars(r, d);
      assert.ok(rs.length >= 2);
      const t = transitionals(r, d).at(-1)!;
      assert.deepEqual(t.members, [0, 1, 2, 3]);
      assert.deepEqual(rs.at(-1)!.members, [0, 1, 2, 3]);
      assert.equal(t.from, rs.at(-2)!.ring);
    }
  });

  test('8: bursts up to WATER_MARK and big messages cut by a crash and a partition', () => {
    run(
      defaultEvsScenario(9, {
        daemons: 4,
        messagesPerDaemon: 600,
        burst: 200,
        meanIntervalMs: 1,
        hugePerDaemon: 4,
        faults: [
          { at: 60, kind: 'partition', cells: [0, 1, 0, 1] },
          { at: 200, kind: 'crash', daemon: 2 },
          { at: 260, kind: 'heal' },
          { at: 400, kind: 'restart', daemon: 2 },
        ],
      }),
    );
  });
});
