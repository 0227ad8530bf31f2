// EVS recovery's end (design 6.4) on hand-made stores: phase B1 in the old configuration up to
// the first hole or Safe packet, the transitional configuration, B3 in it with the hole and
// commit-set rule, B4 and B5; and back-off (6.5) restoring the old ring's state.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMembership, evsDiscard } from '../../../daemon/membership/evs.ts';
import { RingCore, type RingAction, type RingService } from '../../../daemon/ring/index.ts';
import { holeMarker, ringView, type CommitSet } from '../../../daemon/ring/state.ts';
import { decodeDataPacket, encodeDataPacket, type DataPacket } from '../../../daemon/wire/index.ts';
import { testConfig } from '../../sim/config.ts';

const config = testConfig({ daemons: 3 });
const [d0, d1, d2] = config.daemons.map((d) => d.id) as [number, number, number];
const oldRing = { procId: d0, time: 10 };
const newRing = { procId: d0, time: 21 };

function packet(seq: number, service: RingService, originator: number, text: string): DataPacket {
  const b = encodeDataPacket(
    { service, configHash: config.configHash, transmitter: originator, originator, ringId: oldRing, seq, tokenRound: 0, firstFragmentIndex: -1 },
    Buffer.from(text),
  );
  return decodeDataPacket(b) as DataPacket;
}

/**
 * d0 in EVS moving from ring {d0,d1,d2} to {d0,d1}; old ring packets 1..8:
 *   1 AGREED d1 | 2 RELIABLE d2 (delivered early) | 3 SAFE d0 | 4 AGREED d2 | 5 hole | 6 AGREED d2 | 7 AGREED d1 | 8 FIFO d0
 */
function recovering(commitSet: CommitSet): RingCore {
  const core = RingCore.fromConfig(config, d0);
  const s = core.state;
  s.ring = ringView(s.params, oldRing, [d0, d1, d2]);
  s.memb.future = ringView(s.params, newRing, [d0, d1]);
  s.active = s.memb.future;
  s.memberState = 'EVS';
  s.tokenAlive = true;
  s.deliveryConfig = { id: oldRing, transitional: false };
  const contents: Array<[RingService, number, string]> = [
    ['AGREED', d1, 'one'],
    ['RELIABLE', d2, 'two'],
    ['SAFE', d0, 'three'],
    ['AGREED', d2, 'four'],
    ['AGREED', d2, 'hole'],
    ['AGREED', d2, 'six'],
    ['AGREED', d1, 'seven'],
    ['FIFO', d0, 'eight'],
  ];
  contents.forEach(([service, from, text], i) => {
    const seq = i + 1;
    s.store.set(seq, seq === 5 ? holeMarker() : { packet: packet(seq, service, from, text), state: seq === 2 ? 'delivered' : 'received' });
  });
  s.highestSeq = 8;
  s.lastSeq = 8 + 3333;
  s.myAru = s.lastSeq;
  s.aru = s.lastSeq;
  s.memb.commitSet = commitSet;
  s.memb.transTime = 77;
  return core;
}

function summary(out: RingAction[]): string[] {
  return out.flatMap((a) => {
    if (a.type === 'deliver') return [`${Buffer.from(a.delivery.payload).toString()}@${a.delivery.inTransitional ? 'T' : 'C'}`];
    if (a.type === 'transitional') return [`T{${a.members.map((m) => [d0, d1, d2].indexOf(m)).join(',')}}`];
    if (a.type === 'regular') return [`R{${a.members.map((m) => [d0, d1, d2].indexOf(m)).join(',')}}`];
    return [];
  });
}

describe('the delivery sequence at the end of recovery (6.4)', () => {
  test('B1 up to the first Safe packet in C; T; B3 in T: after the hole only the commit set; then the regular configuration', () => {
    const core = recovering({ members: [d0, d1], trans: 2 });
    const out: RingAction[] = [];
    evsDiscard(core.state, out);
    assert.deepEqual(summary(out), ['one@C', 'T{0,1}', 'three@T', 'four@T', 'seven@T', 'eight@T', 'R{0,1}']);
    const trans = out.find((a) => a.type === 'transitional');
    assert.ok(trans?.type === 'transitional');
    assert.deepEqual(trans.configId, { procId: d0, time: 77 }, '{first of T, transitional time}');
    assert.deepEqual(trans.fromRingId, oldRing);
    assert.deepEqual(trans.toRingId, newRing);
    const t3 = out.find((a) => a.type === 'deliver' && a.delivery.seq === 3);
    assert.ok(t3?.type === 'deliver');
    assert.deepEqual(t3.delivery.configId, { procId: d0, time: 77 });
    const s = core.state;
    assert.equal(s.memberState, 'OP');
    assert.deepEqual(s.ring.ringId, newRing);
    assert.equal(s.store.size, 0);
    assert.equal(s.counters.recoveryDiscarded, 1, 'six: after the hole, from d2 outside the commit set');
    assert.equal(s.counters.membershipChanges, 1);
    assert.deepEqual(s.memb.commitSet, { members: [d0], trans: 1 }, 'reset after install');
    assert.equal(s.highestSeq + s.aru + s.lastDiscarded + s.myAru, 0);
    assert.equal(s.counters.anomalies, 0);
  });

  test('a commit set larger than T (an earlier attempt failed after committing, 6.5) keeps its members\' packets after a hole', () => {
    const core = recovering({ members: [d0, d1, d2], trans: 2 });
    const out: RingAction[] = [];
    evsDiscard(core.state, out);
    assert.deepEqual(summary(out), ['one@C', 'T{0,1}', 'three@T', 'four@T', 'six@T', 'seven@T', 'eight@T', 'R{0,1}']);
    const trans = out.find((a) => a.type === 'transitional');
    assert.ok(trans?.type === 'transitional');
    assert.deepEqual(trans.commitSet, [d0, d1, d2]);
    assert.equal(core.state.counters.recoveryByCommitSet, 1);
  });

  test('nothing happens until the stable aru reaches lastSeq', () => {
    const core = recovering({ members: [d0, d1], trans: 2 });
    core.state.aru = 5;
    const out: RingAction[] = [];
    evsDiscard(core.state, out);
    assert.deepEqual(out, []);
    assert.equal(core.state.memberState, 'EVS');
  });

  test('B4: incomplete messages of others are thrown away; my partly sent message restarts from its first fragment', () => {
    const core = recovering({ members: [d0, d1], trans: 2 });
    const s = core.state;
    s.upQueues.set(d2, { parts: [Buffer.from('partial')], bytes: 7, firstSeq: 1 });
    s.downQueue.push({ service: 'AGREED', payload: Buffer.alloc(5000) });
    s.downQueue.peek()!.nextFragment = 2;
    evsDiscard(s, []);
    assert.equal(s.upQueues.size, 0);
    assert.equal(s.downQueue.peek()!.nextFragment, 0);
  });
});

describe('back-off (6.5)', () => {
  test('a token loss in EVS clears the holes and returns to the old ring\'s own stable mark', () => {
    const core = recovering({ members: [d0, d1], trans: 2 });
    const s = core.state;
    s.lastDiscarded = 0;
    backoffMembership(s);
    assert.equal(s.store.has(5), false, 'the hole mark is gone');
    assert.equal(s.aru, 0);
    assert.equal(s.myAru, 4, 'up to the first missing packet');
    assert.deepEqual(s.ring.ringId, oldRing, 'the next attempt recovers the same old ring');
  });
});
