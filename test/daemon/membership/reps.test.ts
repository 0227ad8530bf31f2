// Representatives (design 5.5): Insert_rep and Smallest_rep tables, Smallest_member.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareReps, insertMember, insertRep, potentialRepsFor, smallestMember, smallestRep, sortReps } from '../../../daemon/membership/reps.ts';
import { ringParamsFromConfig } from '../../../daemon/ring/index.ts';
import { MAX_REPS, RepType, type RepInfo } from '../../../daemon/wire/index.ts';
import { testConfig } from '../../sim/config.ts';

// Six daemons: d1..d3 in segment 0, d4..d6 in segment 1.
const base = testConfig({ daemons: 6 });
const daemons = base.daemons.map((d, i) => ({ ...d, segmentIndex: i < 3 ? 0 : 1, indexInSegment: i % 3 }));
const config = { ...base, daemons, segments: [{ addresses: [], port: 4803, daemons: daemons.slice(0, 3) }, { addresses: [], port: 4803, daemons: daemons.slice(3) }] };
const params = ringParamsFromConfig(config, daemons[0]!.id);
const id = (i: number): number => daemons[i - 1]!.id;
const rep = (i: number, type: RepType): RepInfo => ({ id: id(i), type, segIndex: i <= 3 ? 0 : 1 });

describe('Insert_rep', () => {
  test('a potential rep only for a segment nobody represents yet', () => {
    const reps = [rep(1, RepType.SEG)];
    assert.equal(insertRep(reps, rep(2, RepType.POTENTIAL)), false);
    assert.equal(insertRep(reps, rep(4, RepType.POTENTIAL)), true);
    assert.deepEqual(reps, [rep(1, RepType.SEG), rep(4, RepType.POTENTIAL)]);
  });

  test('a seg or ring rep replaces the potential rep of its segment', () => {
    const reps = [rep(4, RepType.POTENTIAL)];
    assert.equal(insertRep(reps, rep(5, RepType.SEG)), true);
    assert.deepEqual(reps, [rep(5, RepType.SEG)]);
    const reps2 = [rep(4, RepType.POTENTIAL)];
    insertRep(reps2, rep(6, RepType.RING));
    assert.deepEqual(reps2, [rep(6, RepType.RING)]);
  });

  test('a ring rep that lost its ring becomes a seg rep; a seg rep with a ring becomes a ring rep', () => {
    const reps = [rep(1, RepType.RING)];
    assert.equal(insertRep(reps, rep(1, RepType.SEG)), true);
    assert.deepEqual(reps, [rep(1, RepType.SEG)]);
    assert.equal(insertRep(reps, rep(1, RepType.RING)), true);
    assert.deepEqual(reps, [rep(1, RepType.RING)]);
    assert.equal(insertRep(reps, rep(1, RepType.RING)), false, 'exact duplicate');
  });

  test('several seg and ring reps of one segment coexist; at most MAX_REPS', () => {
    const reps = [rep(1, RepType.SEG)];
    insertRep(reps, rep(2, RepType.SEG));
    insertRep(reps, rep(3, RepType.RING));
    assert.equal(reps.length, 3);
    const full: RepInfo[] = [];
    for (let i = 0; i < MAX_REPS + 3; i++) insertRep(full, { id: 1000 + i, type: RepType.RING, segIndex: 0 });
    assert.equal(full.length, MAX_REPS);
  });
});

describe('Smallest_rep', () => {
  test('seg reps beat ring reps; then the lower segment; then the lower index (our tie-break)', () => {
    assert.ok(compareReps(params, rep(4, RepType.SEG), rep(1, RepType.RING)) < 0);
    assert.ok(compareReps(params, rep(1, RepType.SEG), rep(4, RepType.SEG)) < 0);
    assert.ok(compareReps(params, rep(2, RepType.SEG), rep(3, RepType.SEG)) < 0);
    assert.ok(compareReps(params, rep(5, RepType.RING), rep(6, RepType.RING)) < 0);
    assert.equal(smallestRep(params, [rep(3, RepType.RING), rep(6, RepType.SEG), rep(2, RepType.SEG)])!.id, id(2));
    assert.deepEqual(
      sortReps(params, [rep(3, RepType.RING), rep(6, RepType.SEG), rep(1, RepType.RING), rep(2, RepType.SEG)]).map((r) => r.id),
      [id(2), id(6), id(1), id(3)],
    );
  });

  test('smallest member by configuration order; insert_member ignores duplicates', () => {
    assert.equal(smallestMember(params, [id(5), id(3), id(4)]), id(3));
    const m = [id(1)];
    assert.equal(insertMember(m, id(2)), true);
    assert.equal(insertMember(m, id(2)), false);
    assert.deepEqual(m, [id(1), id(2)]);
  });

  test('potential reps of the other segments: my last ring member there, else its first daemon', () => {
    assert.deepEqual(potentialRepsFor(params, [id(1), id(5), id(6)]), [{ id: id(5), type: RepType.POTENTIAL, segIndex: 1 }]);
    assert.deepEqual(potentialRepsFor(params, [id(1)]), [{ id: id(4), type: RepType.POTENTIAL, segIndex: 1 }]);
  });
});
