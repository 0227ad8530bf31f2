// Token handling in the core: retransmission answers and targets, duplicates, hurry, hold and
// wake, token loss, the seq wrap (design 3.4, 3.6, 3.10, 3.11).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataPacket, decodeToken, DatagramKind, encodeToken, NO_DAEMON, type DataPacket, type Token } from '../../../daemon/wire/index.ts';
import { Harness } from './harness.ts';

function settle(h: Harness, done: () => boolean, rounds = 20): void {
  for (let r = 0; r < rounds && !done(); r++) {
    if (h.inflight.length === 0) h.fire(0, 'HURRY');
    h.run();
  }
}

describe('first token and rotation', () => {
  test('the leader processes the first token at install and passes it with ARQ 1', () => {
    const h = new Harness(3);
    h.install();
    const t = h.tokensInFlight();
    assert.equal(t.length, 1);
    assert.equal(t[0]!.m.from, 0);
    assert.equal(t[0]!.m.to, 1);
    assert.equal(t[0]!.t.arq, 1);
    assert.equal(t[0]!.t.aru, 0);
    assert.equal(t[0]!.t.aruSetter, h.ids[0]);
    assert.deepEqual(h.timers[0]!.get('HURRY'), 500);
    assert.deepEqual(h.timers[1]!.get('TOKEN_LOSS'), 1250);
  });

  test('a one-daemon ring passes the token to itself and delivers everything', () => {
    const h = new Harness(1);
    h.install();
    h.submit(0, 'SAFE', 's');
    h.submit(0, 'AGREED', 'a');
    h.submit(0, 'RELIABLE', 'r');
    settle(h, () => h.delivered[0]!.length === 3);
    assert.deepEqual(h.payloads(0), ['r', 's', 'a']);
    assert.deepEqual(h.anomalies, []);
  });
});

describe('retransmission (3.6)', () => {
  test('a missing packet is requested on the token and answered by unicast to the requester', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    h.submit(0, 'AGREED', 'lost-at-d2'); // the leader's held visit goes on with it (resumeHeldVisit)
    h.drop((m) => m.channel === 'data' && m.to === 2);
    for (const x of h.dataInFlight()) h.pass(x.m);
    h.pass(h.runUntilTokenFor(1));
    h.pass(h.runUntilTokenFor(2)); // d2 learns seq 1 from the token and asks for it
    const req = h.tokensInFlight().find((x) => x.m.from === 2)!.t;
    assert.deepEqual(req.rtr.map((e) => [e.targetDaemon, e.seqs]), [[h.ids[2], [1]]]);
    const before = h.log[0]!.length;
    h.pass(h.runUntilTokenFor(0)); // d0 answers before sending anything new
    const answers = h.log[0]!.slice(before).filter((a) => a.type === 'unicast' || a.type === 'broadcast');
    assert.equal(answers.length, 1);
    const a = answers[0]!;
    assert.equal(a.type, 'unicast');
    assert.equal(a.type === 'unicast' && a.to, h.ids[2]);
    const p = decodeDataPacket(a.bytes);
    assert.ok(typeof p !== 'string');
    assert.equal(p.seq, 1);
    assert.equal(p.originator, h.ids[0]);
    assert.equal(p.transmitter, h.ids[0]);
    const out = h.tokensInFlight().find((x) => x.m.from === 0)!.t;
    assert.deepEqual(out.rtr, [], 'the answered entry is dropped');
    assert.equal(out.flowControl >= 1, true, 'retransmissions count in flow control');
    settle(h, () => h.delivered[2]!.length === 1);
    assert.deepEqual(h.payloads(2), ['lost-at-d2']);
    assert.equal(h.cores[0]!.status().counters.retransmissions, 1);
  });

  test('when the next daemon misses the same seq, its own request goes to everybody', () => {
    const h = new Harness(4);
    h.install();
    h.run();
    h.submit(0, 'AGREED', 'x'); // the leader's held visit goes on with it (resumeHeldVisit)
    h.drop((m) => m.channel === 'data' && (m.to === 2 || m.to === 3));
    for (const x of h.dataInFlight()) h.pass(x.m);
    h.pass(h.runUntilTokenFor(1));
    h.pass(h.runUntilTokenFor(2));
    h.pass(h.runUntilTokenFor(3));
    const t = h.tokensInFlight().find((x) => x.m.from === 3)!.t;
    assert.deepEqual(t.rtr.map((e) => [e.targetDaemon, e.seqs]), [[NO_DAEMON, [1]]]);
    const before = h.log[0]!.length;
    h.pass(h.runUntilTokenFor(0));
    const answers = h.log[0]!.slice(before).filter((a) => a.type === 'unicast' || a.type === 'broadcast');
    assert.deepEqual(answers.map((a) => a.type), ['broadcast']);
    settle(h, () => h.delivered.every((d) => d.length === 1));
    assert.deepEqual(h.anomalies, []);
  });

  test('a request for a seq at or below the stable aru is an anomaly, not a crash', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    h.submit(1, 'AGREED', 'm');
    settle(h, () => h.cores[0]!.status().aru >= 1);
    const tok = h.runUntilTokenFor(0);
    const t = decodeToken(tok.bytes) as Token;
    h.drop((m) => m === tok);
    t.rtr = [{ ringId: t.ringId, targetDaemon: h.ids[1]!, targetSegment: 0, seqs: [1] }];
    h.apply(0, h.cores[0]!.step({ type: 'token', bytes: encodeToken(t) }));
    assert.equal(h.anomalies.length, 1);
    assert.match(h.anomalies[0]!, /retransmission of 1 requested while aru is/);
  });
});

describe('duplicates and hurry (3.10)', () => {
  test('a lost token is re-sent by the leader, then hop by hop by members that already passed it', () => {
    const h = new Harness(3);
    h.install();
    h.submit(0, 'AGREED', 'x'); // keeps the ring from holding
    h.pass(h.runUntilTokenFor(1)); // d1 processes ARQ 1
    const lost = h.drop((m) => m.channel === 'token');
    assert.equal(lost.length, 1);
    assert.equal(lost[0]!.to, 2);
    h.run(); // data only
    assert.equal(h.tokensInFlight().length, 0);
    h.fire(0, 'HURRY');
    const resent = h.tokensInFlight();
    assert.deepEqual(resent.map((x) => [x.m.from, x.m.to, x.t.arq, x.t.retrans]), [[0, 1, 1, 1]]);
    assert.deepEqual(resent[0]!.t.rtr, []);
    h.pass(resent[0]!.m); // d1 already passed ARQ 1: re-sends its own copy with RETRANS 1
    const relay = h.tokensInFlight();
    assert.deepEqual(relay.map((x) => [x.m.from, x.m.to, x.t.arq, x.t.retrans]), [[1, 2, 1, 1]]);
    h.pass(relay[0]!.m); // d2 never saw ARQ 1: processes it normally
    assert.equal(h.cores[2]!.status().counters.tokensAccepted, 1);
    assert.equal(h.cores[2]!.status().counters.tokenHurries, 1);
    settle(h, () => h.delivered.every((d) => d.length === 1));
    assert.deepEqual(h.anomalies, []);
  });

  test('a duplicate token is swallowed; two hurries in a row send three copies', () => {
    const h = new Harness(2);
    h.install();
    h.submit(1, 'AGREED', 'x');
    const first = h.tokensInFlight()[0]!;
    const copy = { ...first.m, bytes: Uint8Array.from(first.m.bytes) };
    h.pass(first.m);
    const accepted = h.cores[1]!.status().counters.tokensAccepted;
    h.apply(1, h.cores[1]!.step({ type: 'token', bytes: copy.bytes }));
    assert.equal(h.cores[1]!.status().counters.tokensAccepted, accepted);
    assert.equal(h.cores[1]!.status().counters.tokensRejected, 1);
    h.drop(() => true);
    h.fire(0, 'HURRY');
    h.drop(() => true);
    h.fire(0, 'HURRY');
    const copies = h.tokensInFlight();
    assert.equal(copies.length, 3);
    assert.ok(copies.every((x) => x.t.retrans === 2));
  });

  test('a token from someone other than my predecessor, or of another ring, is rejected', () => {
    const h = new Harness(3);
    h.install();
    const t = h.tokensInFlight()[0]!;
    const wrongRing = decodeToken(t.m.bytes) as Token;
    wrongRing.ringId = { procId: wrongRing.ringId.procId, time: 99 };
    h.apply(1, h.cores[1]!.step({ type: 'token', bytes: encodeToken(wrongRing) }));
    const wrongFrom = decodeToken(t.m.bytes) as Token;
    wrongFrom.transmitter = h.ids[2]!;
    h.apply(1, h.cores[1]!.step({ type: 'token', bytes: encodeToken(wrongFrom) }));
    assert.equal(h.cores[1]!.status().counters.tokensRejected, 2);
    assert.equal(h.cores[1]!.status().counters.tokensAccepted, 0);
  });
});

describe('hold and wake (3.10)', () => {
  test('an idle ring: the leader holds the token after two quiet visits; HURRY turns it once more', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    assert.equal(h.inflight.length, 0);
    assert.equal(h.cores[0]!.status().tokenHeld, true);
    assert.equal(h.cores[0]!.status().counters.tokenHolds, 1);
    h.fire(0, 'HURRY');
    const released = h.tokensInFlight();
    assert.deepEqual(released.map((x) => x.t.retrans), [1]);
    h.run();
    assert.equal(h.cores[0]!.status().counters.tokenHolds, 2, 'held again after one rotation');
    assert.deepEqual(h.anomalies, []);
  });

  test('a member with a new message sends HURRY to the leader, which releases the token at once', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    const acts = h.submit(2, 'AGREED', 'wake');
    const hurry = acts.filter((a) => a.type === 'unicast');
    assert.equal(hurry.length, 1);
    assert.ok(hurry[0]!.type === 'unicast' && hurry[0]!.to === h.ids[0] && hurry[0]!.bytes[1] === DatagramKind.HURRY);
    h.submit(2, 'AGREED', 'second'); // the queue was not empty: no second HURRY
    assert.equal(h.inflight.filter((m) => m.channel === 'data').length, 1);
    h.pass(h.inflight[0]!);
    assert.equal(h.cores[0]!.status().tokenHeld, false);
    assert.equal(h.tokensInFlight().length, 1);
    h.run();
    assert.deepEqual(h.payloads(0), ['wake', 'second']);
  });

  test('a HURRY that reaches the leader before it holds still keeps the next visit from holding', () => {
    // A member's idle count can say "held" one visit before the leader holds. Find the hop after
    // which the last member believes the token held while the leader does not hold it yet.
    let raced = 0;
    for (let hops = 0; hops < 30; hops++) {
      const h = new Harness(3);
      h.install();
      for (let k = 0; k < hops; k++) {
        const t = h.inflight.find((m) => m.channel === 'token');
        if (t !== undefined) h.pass(t);
      }
      if (h.cores[0]!.status().tokenHeld || h.inflight.every((m) => m.channel !== 'token')) continue;
      const sent = h.submit(2, 'SAFE', 'late');
      if (!sent.some((a) => a.type === 'unicast')) continue;
      raced++;
      const hurry = h.inflight.find((m) => m.channel === 'data' && m.to === 0)!;
      h.pass(hurry); // arrives before the token comes back to the leader
      h.run();
      for (const d of h.delivered) assert.deepEqual(d.map((x) => Buffer.from(x.payload).toString()), ['late'], `after ${hops} hops`);
    }
    assert.ok(raced > 0, 'the race was reproduced at least once');
  });

  test('a message at the leader finishes its held visit: the packet goes at once, then the token of the same rotation', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    const held = h.cores[0]!.state.lastToken;
    const arq = held.arq;
    const acts = h.submit(0, 'SAFE', 'lead');
    assert.deepEqual(acts.filter((a) => a.type === 'broadcast' || a.type === 'sendToken' || a.type === 'unicast').map((a) => a.type), ['broadcast', 'sendToken'], 'packet before token, no HURRY');
    const [token] = h.tokensInFlight();
    assert.equal(token!.t.arq, arq, 'the rotation the leader held, which nobody saw');
    assert.equal(token!.t.retrans, 0);
    assert.equal(token!.t.seq, 1);
    assert.equal(token!.t.aru, 1, 'the leader holds its own packet');
    assert.equal(token!.t.flowControl, 1);
    assert.equal(h.cores[0]!.status().counters.heldVisitsResumed, 1);
    const packet = decodeDataPacket(h.dataInFlight()[0]!.m.bytes) as DataPacket;
    assert.equal(packet.tokenRound, h.cores[0]!.state.tokenRounds - 1, 'stamped with the held visit\'s round');
    settle(h, () => h.delivered.every((d) => d.length === 1));
    assert.deepEqual(h.anomalies, []);
    h.submit(0, 'AGREED', 'again');
    assert.deepEqual(h.payloads(0), ['lead', 'again'], 'an Agreed message of the leader is delivered at once');
    settle(h, () => h.delivered.every((d) => d.length === 2));
    assert.equal(h.cores[0]!.status().counters.heldVisitsResumed, 2);
    for (const d of h.delivered) assert.deepEqual(d.map((x) => Buffer.from(x.payload).toString()), ['lead', 'again']);
  });

  test('HURRY from a daemon that is not a ring member is ignored', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    const hurry = h.submit(2, 'AGREED', 'x').find((a) => a.type === 'unicast')!;
    assert.ok(hurry.type === 'unicast');
    // the same HURRY for another ring id
    const other = Uint8Array.from(hurry.bytes);
    other[19] = other[19]! ^ 1;
    h.inflight = [];
    h.apply(0, h.cores[0]!.step({ type: 'data', bytes: other }));
    assert.equal(h.cores[0]!.status().tokenHeld, true);
  });
});

describe('token loss and safety valves', () => {
  test('TOKEN_LOSS emits tokenLost, blocks delivery and swallows later tokens', () => {
    const h = new Harness(2);
    h.install();
    const t = h.tokensInFlight()[0]!;
    h.drop(() => true);
    const acts = h.fire(1, 'TOKEN_LOSS');
    assert.deepEqual(acts.filter((a) => a.type === 'tokenLost').length, 1);
    assert.equal(h.cores[1]!.status().tokenAlive, false);
    assert.equal(h.cores[1]!.status().deliveryThreshold, 'BLOCK');
    h.apply(1, h.cores[1]!.step({ type: 'token', bytes: t.m.bytes }));
    assert.equal(h.cores[1]!.status().counters.tokensAccepted, 0);
    assert.equal(h.fire(1, 'TOKEN_LOSS').length, 0, 'fires once');
  });

  test('a token whose seq passed the wrap limit is swallowed (forcing a membership)', () => {
    const h = new Harness(2, {}, { seqWrapLimit: 10 });
    h.install();
    h.run();
    for (let k = 0; k < 12; k++) h.submit(0, 'AGREED', Buffer.alloc(1432, k)); // one packet each
    settle(h, () => h.cores[1]!.status().counters.tokensRejected > 0, 5);
    assert.ok(h.cores.some((c) => c.status().counters.tokensRejected > 0));
    assert.equal(h.inflight.filter((m) => m.channel === 'token').length, 0);
  });
});
