// The three delivery paths (3.8), the delivery threshold, garbage collection (3.9).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.ts';

/** Runs rotations until `done` or `rounds` HURRY releases. */
function settle(h: Harness, done: () => boolean, rounds = 20): void {
  for (let r = 0; r < rounds && !done(); r++) {
    if (h.inflight.length === 0) h.fire(0, 'HURRY');
    h.run();
  }
}

describe('Reliable early path', () => {
  test('a one-packet Reliable message overtakes an earlier missing Agreed one', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    h.submit(1, 'AGREED', 'first');
    h.submit(1, 'RELIABLE', 'second');
    const token = h.runUntilTokenFor(1);
    h.pass(token); // d1 broadcasts seq 1 (AGREED) and seq 2 (RELIABLE)
    const lost = h.drop((m) => m.to === 2 && m.channel === 'data' && Buffer.from(m.bytes).includes(Buffer.from('first')));
    assert.equal(lost.length, 1);
    // seq 2 reaches d2 first: delivered at once although seq 1 is missing
    const second = h.dataInFlight().find((x) => x.m.to === 2 && x.seq === 2)!;
    h.pass(second.m);
    assert.deepEqual(h.payloads(2), ['second']);
    assert.equal(h.delivered[2]![0]!.early, true);
    settle(h, () => h.delivered[2]!.length === 2);
    assert.deepEqual(h.payloads(2), ['second', 'first']);
    assert.deepEqual(h.payloads(0), ['first', 'second']);
    assert.equal(h.cores[2]!.status().counters.delivered.RELIABLE, 1);
    assert.deepEqual(h.anomalies, []);
  });

  test('a multi-packet Reliable message is never early', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    h.submit(1, 'AGREED', 'a');
    h.submit(1, 'RELIABLE', Buffer.alloc(2000, 5));
    h.pass(h.runUntilTokenFor(1));
    h.drop((m) => m.to === 0 && m.channel === 'data' && m.bytes.length < 100);
    h.run(3, (m) => m.channel === 'data'); // both fragments of the Reliable message arrive
    assert.equal(h.delivered[0]!.length, 0);
    settle(h, () => h.delivered[0]!.length === 2);
    assert.deepEqual(h.delivered[0]!.map((d) => d.payload.length), [1, 2000]);
  });
});

describe('Agreed and Safe paths', () => {
  test('the Agreed path stops at the first undelivered SAFE packet; Safe waits for stability', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    h.submit(1, 'SAFE', 'safe');
    h.submit(1, 'AGREED', 'agreed');
    h.submit(1, 'RELIABLE', 'reliable');
    h.pass(h.runUntilTokenFor(1));
    // The originator delivers its own one-packet Reliable message at once, nothing else yet.
    assert.deepEqual(h.payloads(1), ['reliable']);
    // At d2 the packets arrive in order: each extends myAru, so the Agreed path (stopped at the
    // Safe packet) is tried, not the early path (Spread's Prot_handle_bcast does the same).
    for (const x of h.dataInFlight().filter((x) => x.m.to === 2)) h.pass(x.m);
    assert.deepEqual(h.payloads(2), []);
    // At d0 the Reliable packet comes before the Agreed one: out of order, so early.
    const toD0 = h.dataInFlight().filter((x) => x.m.to === 0);
    h.pass(toD0[0]!.m);
    h.pass(toD0[2]!.m);
    assert.deepEqual(h.payloads(0), ['reliable']);
    h.pass(toD0[1]!.m);
    assert.deepEqual(h.payloads(0), ['reliable']);
    settle(h, () => h.delivered.every((d) => d.length === 3));
    assert.deepEqual(h.payloads(2), ['safe', 'agreed', 'reliable']);
    for (let i = 0; i < 3; i++) {
      const order = h.payloads(i).filter((x) => x !== 'reliable');
      assert.deepEqual(order, ['safe', 'agreed'], `d${i}`);
    }
    assert.deepEqual(h.anomalies, []);
  });

  test('Safe is delivered only once every member holds the packet', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    h.submit(0, 'SAFE', 's');
    h.fire(0, 'HURRY'); // the leader holds an idle token; releasing it lets it send
    // d2 never gets the packet directly; it must come back as a retransmission
    let safeSeen = false;
    for (let step = 0; step < 200 && h.delivered.some((d) => d.length === 0); step++) {
      h.drop((m) => m.channel === 'data' && m.to === 2 && m.from === 0 && step < 40);
      const m = h.inflight.find((x) => x.channel === 'data') ?? h.inflight[0];
      if (m === undefined) {
        h.fire(0, 'HURRY');
        continue;
      }
      h.pass(m);
      if (!safeSeen && h.delivered.some((d) => d.length > 0)) {
        safeSeen = true;
        for (const c of h.cores) assert.ok(c.holds(1), 'every daemon holds seq 1 when the first one delivers it');
      }
    }
    assert.ok(h.delivered.every((d) => d.length === 1));
  });
});

describe('delivery threshold', () => {
  test('BLOCK stops the early and Agreed paths but not Safe; opening it catches up through zero-delay timers', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    h.apply(1, h.cores[1]!.step({ type: 'threshold', threshold: 'BLOCK' }));
    h.submit(0, 'RELIABLE', 'r');
    h.submit(0, 'AGREED', 'a');
    h.pass(h.runUntilTokenFor(0));
    for (const x of h.dataInFlight()) h.pass(x.m);
    const st = h.cores[1]!.status();
    assert.equal(st.deliveryThreshold, 'BLOCK');
    assert.equal(st.myAru, 2);
    assert.deepEqual(h.payloads(1), []);
    const opened = h.apply(1, h.cores[1]!.step({ type: 'threshold', threshold: 'UNRELIABLE' }));
    assert.deepEqual(
      opened.filter((a) => a.type === 'setTimer').map((a) => a.type === 'setTimer' && [a.name, a.ms]),
      [['DELIVER_RELIABLE', 0], ['DELIVER_AGREED', 0]],
    );
    h.fire(1, 'DELIVER_RELIABLE');
    h.fire(1, 'DELIVER_AGREED');
    settle(h, () => h.delivered[1]!.length === 2);
    assert.deepEqual(h.payloads(1).sort(), ['a', 'r']);
  });

  test('while BLOCKED, stable packets are still delivered by the Safe path, in seq order', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    h.apply(1, h.cores[1]!.step({ type: 'threshold', threshold: 'BLOCK' }));
    h.submit(0, 'RELIABLE', 'r');
    h.submit(0, 'AGREED', 'a');
    settle(h, () => h.cores[1]!.status().aru >= 2);
    assert.deepEqual(h.payloads(1), ['r', 'a']);
    assert.equal(h.delivered[1]!.every((d) => !d.early), true);
  });

  test('AGREED closes only the early path', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    const acts = h.apply(0, h.cores[0]!.step({ type: 'threshold', threshold: 'AGREED' }));
    assert.deepEqual(acts.filter((a) => a.type === 'cancelTimer').map((a) => a.type === 'cancelTimer' && a.name), ['DELIVER_RELIABLE']);
    // sent by the member, so that both wait for its next visit (the leader would send the first at once)
    h.submit(1, 'AGREED', 'x');
    h.submit(1, 'RELIABLE', 'y');
    h.pass(h.runUntilTokenFor(1));
    const pkts = h.dataInFlight().filter((x) => x.m.to === 0);
    assert.equal(pkts.length, 2);
    h.pass(pkts[1]!.m); // the Reliable one first: not early under AGREED
    assert.deepEqual(h.payloads(0), []);
    h.pass(pkts[0]!.m);
    assert.deepEqual(h.payloads(0), ['x', 'y']);
  });
});

describe('garbage collection (3.9)', () => {
  test('memory stays bounded under a continuous flood and is freed when the ring goes idle', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    let submitted = 0;
    let maxStored = 0;
    const total = 6000;
    for (let step = 0; step < 400_000 && h.delivered.some((d) => d.length < total); step++) {
      for (let i = 0; i < 3; i++) {
        while (submitted < total && h.cores[i]!.downQueueLength < 50) {
          h.submit(i, submitted % 2 === 0 ? 'SAFE' : 'AGREED', Buffer.alloc(200 + (submitted % 1000), submitted & 0xff));
          submitted++;
        }
      }
      const m = h.inflight.find((x) => x.channel === 'data') ?? h.inflight[0];
      if (m === undefined) h.fire(0, 'HURRY');
      else h.pass(m);
      for (const c of h.cores) maxStored = Math.max(maxStored, c.status().packetsStored);
    }
    assert.ok(h.delivered.every((d) => d.length === total), `delivered ${h.delivered.map((d) => d.length)}`);
    assert.ok(maxStored < 400, `at most ${maxStored} packets stored at once`);
    settle(h, () => h.cores.every((c) => c.status().packetsStored === 0));
    assert.deepEqual(h.cores.map((c) => c.status().packetsStored), [0, 0, 0]);
    assert.deepEqual(h.anomalies, []);
  });
});
