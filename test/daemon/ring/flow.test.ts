// Flow control in a running ring (section 4) and the Accelerated Ring (3.12).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDataPacket, encodeDataPacket, PACKET_BODY_BYTES, type DataPacket } from '../../../daemon/wire/index.ts';
import { Harness } from './harness.ts';

function visitPackets(h: Harness, i: number): { pre: DataPacket[]; post: DataPacket[]; tokenSent: boolean } {
  const token = h.runUntilTokenFor(i);
  const before = h.log[i]!.length;
  h.pass(token);
  const pre: DataPacket[] = [];
  const post: DataPacket[] = [];
  let tokenSent = false;
  for (const a of h.log[i]!.slice(before)) {
    if (a.type === 'sendToken') tokenSent = true;
    if (a.type !== 'broadcast') continue;
    const p = decodeDataPacket(a.bytes);
    if (typeof p !== 'string') (tokenSent ? post : pre).push(p);
  }
  return { pre, post, tokenSent };
}

describe('flow control (4)', () => {
  test('per visit at most PersonalWindow packets; per rotation at most Window + PersonalWindow', () => {
    const window = 30;
    const personalWindow = 12;
    const h = new Harness(3, { window, personalWindow });
    h.install();
    h.run();
    for (let i = 0; i < 3; i++) for (let k = 0; k < 60; k++) h.submit(i, 'AGREED', Buffer.alloc(1432, k));
    let maxVisit = 0;
    let maxToken = 0;
    for (let step = 0; step < 100_000 && h.delivered.some((d) => d.length < 180); step++) {
      const m = h.inflight.find((x) => x.channel === 'data') ?? h.inflight[0];
      if (m === undefined) {
        h.fire(0, 'HURRY');
        continue;
      }
      const acts = h.pass(m);
      if (m.channel === 'token') {
        maxVisit = Math.max(maxVisit, acts.filter((a) => a.type === 'broadcast' || a.type === 'unicast').length);
        for (const x of h.tokensInFlight()) maxToken = Math.max(maxToken, x.t.flowControl);
      }
    }
    assert.ok(h.delivered.every((d) => d.length === 180));
    assert.equal(maxVisit, personalWindow);
    assert.ok(maxToken <= window + personalWindow, `flow_control reached ${maxToken}`);
    assert.ok(maxToken > window - personalWindow, `the ring was busy (${maxToken})`);
    assert.deepEqual(h.anomalies, []);
  });

  test('with big packets, the messages packed on one visit stay within PersonalWindow packets of 1472 bytes', () => {
    const personalWindow = 4;
    const h = new Harness(3, { personalWindow, packetSize: 16_384, acceleratedRing: false });
    h.install();
    h.run();
    for (let k = 0; k < 400; k++) h.submit(1, 'AGREED', Buffer.alloc(100, k));
    const { pre, post } = visitPackets(h, 1);
    const body = [...pre, ...post].reduce((n, p) => n + p.body.length, 0);
    assert.ok(body <= personalWindow * PACKET_BODY_BYTES, `${body} bytes sent on one visit`);
    assert.ok(body > (personalWindow - 1) * PACKET_BODY_BYTES, `the visit used its window (${body} bytes)`);
    h.run();
    for (let i = 0; i < 3; i++) assert.equal(h.delivered[i]!.length, 400);
    assert.deepEqual(h.anomalies, []);
  });

  test('retransmissions eat into the same budget', () => {
    // d1 sends (a member: its messages wait for its visit; the leader would send at once)
    const h = new Harness(2, { window: 20, personalWindow: 20 });
    h.install();
    h.run();
    for (let k = 0; k < 20; k++) h.submit(1, 'AGREED', Buffer.alloc(1432, k));
    h.pass(h.runUntilTokenFor(1));
    h.drop((m) => m.channel === 'data'); // d0 misses all 20
    const t0 = h.runUntilTokenFor(0);
    h.pass(t0);
    for (let k = 0; k < 40; k++) h.submit(1, 'AGREED', Buffer.alloc(1432, 100 + k));
    const before = h.log[1]!.length;
    const v = visitPackets(h, 1);
    const answers = h.log[1]!.slice(before).filter((a) => a.type === 'unicast');
    assert.equal(answers.length, 20, 'all 20 requested packets answered, to d0 only');
    assert.equal(v.pre.length, 20, 'the retransmissions of this visit do not limit this visit');
    const fcOnToken = h.tokensInFlight().find((x) => x.m.from === 1)!.t.flowControl;
    assert.equal(fcOnToken, 40);
    h.pass(h.runUntilTokenFor(0));
    const next = visitPackets(h, 1);
    assert.equal(next.pre.length, 0, '20 + 20 - 40: the next visit sends nothing new');
  });
});

describe('MAX_SEQ_GAP (3.11)', () => {
  test('while one member misses seq 1, new sends stop at aru + 1600; everything arrives once it gets it', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    const total = 2500;
    for (let k = 0; k < total; k++) h.submit(0, 'AGREED', Buffer.alloc(1432, k & 0xff));
    let maxSeq = 0;
    for (let step = 0; step < 20_000; step++) {
      // d1 never gets seq 1, so aru stays 0; everything else arrives
      h.drop((m) => m.channel === 'data' && m.to === 1 && (decodeDataPacket(m.bytes) as DataPacket).seq === 1);
      const m = h.inflight[0];
      if (m === undefined) {
        h.fire(0, 'HURRY');
        continue;
      }
      h.pass(m);
      maxSeq = Math.max(maxSeq, h.cores[0]!.status().highestSeq);
    }
    const st = h.cores[0]!.status();
    assert.equal(st.aru, 0);
    assert.ok(maxSeq > 1600 && maxSeq <= 1600 + 20, `highest seq ${maxSeq}`);
    assert.ok(st.downQueueLength > 0);
    assert.ok(h.cores[1]!.status().packetsStored >= 1600, 'd1 stores the unstable window');
    for (let r = 0; r < 400 && h.delivered[1]!.length < total; r++) {
      if (h.inflight.length === 0) h.fire(0, 'HURRY');
      h.run();
    }
    assert.equal(h.delivered[1]!.length, total);
    assert.deepEqual(h.anomalies, []);
  });
});

describe('Accelerated Ring (3.12)', () => {
  test('on a lightly loaded ring a visit sends before the token; on a busy one its last AcceleratedWindow packets go after it, stamped with the next round', () => {
    const h = new Harness(2, { acceleratedRing: true, personalWindow: 20, acceleratedWindow: 15 });
    h.install();
    h.run();
    for (let k = 0; k < 45; k++) h.submit(1, 'AGREED', Buffer.alloc(1432, k));
    const idle = visitPackets(h, 1); // the last rotation sent nothing: few sends wait behind this token
    assert.equal(idle.pre.length, 20);
    assert.equal(idle.post.length, 0);
    const v = visitPackets(h, 1); // the token counts the 20 of the last rotation: more than AcceleratedWindow
    assert.equal(v.pre.length, 5);
    assert.equal(v.post.length, 15);
    const round = v.pre[0]!.tokenRound;
    assert.ok(v.pre.every((p) => p.tokenRound === round));
    assert.ok(v.post.every((p) => p.tokenRound === round + 1));
    assert.deepEqual([...v.pre, ...v.post].map((p) => p.seq), Array.from({ length: 20 }, (_, k) => v.pre[0]!.seq + k));
    const small = visitPackets(h, 1); // 5 left: all after the token
    assert.equal(small.pre.length, 0);
    assert.equal(small.post.length, 5);
  });

  test('a post-token packet from my predecessor gives the token priority until a token is accepted', () => {
    // d1 sends (a member: its messages wait for its visit; the leader would send at once)
    const h = new Harness(3, { acceleratedRing: true });
    h.install();
    h.run();
    for (let k = 0; k < 16; k++) h.submit(1, 'AGREED', Buffer.alloc(1432, k));
    h.pass(h.runUntilTokenFor(1)); // idle ring: these 16 packets go before the token
    h.submit(1, 'AGREED', 'b');
    h.pass(h.runUntilTokenFor(1)); // the token counts 16, more than AcceleratedWindow: 'b' goes after it
    // d1's packet went after the token: its round is ahead of d2's received rounds
    const pkt = h.dataInFlight().find((x) => x.m.to === 2 && x.seq === 17)!;
    h.pass(pkt.m);
    assert.equal(h.tokenFirst[2], true);
    assert.equal(h.tokenFirst[0], false, 'only the successor of the sender switches');
    h.pass(h.tokensInFlight().find((x) => x.m.to === 2)!.m);
    assert.equal(h.tokenFirst[2], false);
  });

  test('requests only up to the seq of the token I sent last', () => {
    const h = new Harness(2, { acceleratedRing: true });
    h.install();
    h.run();
    for (let k = 0; k < 3; k++) h.submit(1, 'AGREED', Buffer.alloc(1000, k));
    h.pass(h.runUntilTokenFor(1));
    h.drop((m) => m.channel === 'data'); // d0 misses seqs 1..3, sent in this rotation
    h.pass(h.runUntilTokenFor(0));
    const first = h.tokensInFlight().find((x) => x.m.from === 0)!.t;
    assert.deepEqual(first.rtr, [], 'they may still be on the wire');
    h.pass(h.runUntilTokenFor(1));
    h.pass(h.runUntilTokenFor(0));
    const second = h.tokensInFlight().find((x) => x.m.from === 0)!.t;
    assert.deepEqual(second.rtr.flatMap((e) => e.seqs), [1, 2, 3]);
  });

  test('an accelerated ring delivers one order under random drops', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 2 }), (seed) => {
        // a Park-Miller generator: seed 2^31 - 1 would make it stick at 0
        let x = seed;
        const rand = (): number => ((x = (x * 48271) % 0x7fffffff) / 0x7fffffff);
        const h = new Harness(3, { acceleratedRing: true, personalWindow: 6, acceleratedWindow: 4 });
        h.install();
        for (let k = 0; k < 40; k++) h.submit(k % 3, (['AGREED', 'SAFE', 'FIFO'] as const)[k % 3], Buffer.alloc(1 + ((k * 397) % 3000), k));
        for (let step = 0; step < 50_000 && h.delivered.some((d) => d.length < 40); step++) {
          const m = h.inflight.find((y) => y.channel === 'data' && !h.tokenFirst[y.to]) ?? h.inflight[0];
          if (m === undefined) {
            h.fire(0, 'HURRY');
            continue;
          }
          if (rand() < 0.1) h.drop((y) => y === m);
          else h.pass(m);
        }
        const orders = h.delivered.map((d) => d.map((y) => `${y.seq}.${y.index}`).join());
        assert.equal(orders[1], orders[0]);
        assert.equal(orders[2], orders[0]);
        assert.equal(h.delivered[0]!.length, 40);
        assert.deepEqual(h.anomalies, []);
      }),
      { numRuns: 15 },
    );
  });
});

describe('bad input', () => {
  test('garbage, wrong hash, unknown or own transmitter, foreign ring: dropped and counted, never thrown', () => {
    const h = new Harness(2);
    h.install();
    const core = h.cores[1]!;
    const good = { service: 'AGREED' as const, configHash: 0x5eed1234, transmitter: h.ids[0]!, originator: h.ids[0]!, ringId: { procId: h.ids[0]!, time: 1 }, seq: 1, tokenRound: 0, firstFragmentIndex: -1 };
    const cases = [
      encodeDataPacket({ ...good, configHash: 1 }, Buffer.from('x')),
      encodeDataPacket({ ...good, transmitter: 4242 }, Buffer.from('x')),
      encodeDataPacket({ ...good, transmitter: h.ids[1]! }, Buffer.from('x')),
      encodeDataPacket({ ...good, ringId: { procId: h.ids[0]!, time: 2 } }, Buffer.from('x')),
      encodeDataPacket({ ...good, originator: 4242 }, Buffer.from('x')),
      encodeDataPacket({ ...good, seq: 100_000 }, Buffer.from('x')),
    ];
    for (const c of cases) assert.deepEqual(core.step({ type: 'data', bytes: c }).filter((a) => a.type === 'deliver'), []);
    assert.equal(core.status().counters.droppedDatagrams, cases.length);
    assert.equal(core.status().packetsStored, 0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), (bytes, onToken) => {
        core.step({ type: onToken ? 'token' : 'data', bytes });
      }),
      { numRuns: 1000 },
    );
    assert.equal(core.status().counters.anomalies, 0);
    // and the ring still works
    h.submit(0, 'AGREED', 'still fine');
    h.run();
    assert.deepEqual(h.payloads(1), ['still fine']);
  });
});
