// Packing small messages into one packet, fragmenting large ones, reassembly per originator (3.7).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RING_PAYLOAD } from '../../../daemon/ring/index.ts';
import { decodeDataPacket, MAX_FRAGMENTS, PACKET_BODY_BYTES, type DataPacket } from '../../../daemon/wire/index.ts';
import { Harness } from './harness.ts';

/** Lets the token reach daemon `i` and returns the packets it broadcast on that visit. */
function visit(h: Harness, i: number): DataPacket[] {
  const token = h.runUntilTokenFor(i);
  const before = h.log[i]!.length;
  h.pass(token);
  const sent: DataPacket[] = [];
  for (const a of h.log[i]!.slice(before)) {
    if (a.type !== 'broadcast') continue;
    const p = decodeDataPacket(a.bytes);
    if (typeof p !== 'string' && p.originator === h.ids[i]) sent.push(p);
  }
  return sent;
}

/** Messages in a packet: 1 + packed ones, read from the delivery records at a receiver. */
function messagesPerPacket(h: Harness, receiver: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const d of h.delivered[receiver]!) m.set(d.seq, (m.get(d.seq) ?? 0) + 1);
  return m;
}

describe('packing (3.7)', () => {
  test('small messages of compatible services share one packet, in submission order', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    h.submit(1, 'AGREED', 'a1');
    h.submit(1, 'FIFO', 'f2');
    h.submit(1, 'AGREED', 'a3');
    h.submit(1, 'SAFE', 's4'); // not packable with AGREED/FIFO
    h.submit(1, 'SAFE', 's5');
    h.submit(1, 'RELIABLE', 'r6'); // not packable with SAFE
    h.submit(1, 'RELIABLE', 'r7');
    const sent = visit(h, 1);
    assert.equal(sent.length, 3);
    assert.deepEqual(sent.map((p) => p.service), ['AGREED', 'SAFE', 'RELIABLE']);
    h.run();
    for (let i = 0; i < 3; i++) assert.deepEqual(h.payloads(i).sort(), ['a1', 'a3', 'f2', 'r6', 'r7', 's4', 's5']);
    // the one-packet Reliable ones may go early; the rest keep submission order
    assert.deepEqual(h.payloads(0).filter((x) => !x.startsWith('r')), ['a1', 'f2', 'a3', 's4', 's5']);
    const per = messagesPerPacket(h, 2);
    assert.deepEqual([...per.values()], [3, 2, 2]);
    const services = h.delivered[2]!.map((d) => `${Buffer.from(d.payload)}:${d.service}:${d.index}`);
    assert.ok(services.includes('f2:FIFO:1'), 'a packed message keeps its own service');
    assert.deepEqual(h.anomalies, []);
  });

  test('packing stops when the next message does not fit (padding and fragment header count)', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    // 500 + (0 pad + 4 + 500) = 1004; + (0 + 4 + 500) = 1508 > 1432: the third starts a new packet
    for (let k = 0; k < 3; k++) h.submit(1, 'AGREED', Buffer.alloc(500, k + 1));
    let sent = visit(h, 1);
    assert.deepEqual(sent.map((p) => p.body.length), [1004, 500]);
    // 1 + pad 3 + 4 + 1 = 9: the odd first length forces padding to the 4-byte boundary
    h.submit(1, 'AGREED', 'x');
    h.submit(1, 'AGREED', 'y');
    sent = visit(h, 1);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.body.length, 9);
    assert.deepEqual([...sent[0]!.body.subarray(1, 4)], [0, 0, 0]);
    h.run();
    assert.deepEqual(h.payloads(0).slice(-2), ['x', 'y']);
  });

  test('fragment indices: 1..n-1 then -n; a whole message is -1', () => {
    const h = new Harness(2);
    h.install();
    h.run();
    h.submit(1, 'AGREED', Buffer.alloc(PACKET_BODY_BYTES, 1)); // exactly one body
    h.submit(1, 'AGREED', Buffer.alloc(PACKET_BODY_BYTES + 1, 2)); // two fragments
    h.submit(1, 'AGREED', Buffer.alloc(3000, 3)); // three
    h.submit(1, 'AGREED', 'tail'); // packed behind the last fragment of the previous message
    const sent = visit(h, 1);
    assert.deepEqual(sent.map((p) => p.firstFragmentIndex), [-1, 1, -2, 1, 2, -3]);
    assert.deepEqual(sent.map((p) => p.firstFragmentLength), [1432, 1432, 1, 1432, 1432, 136]);
    assert.equal(sent[5]!.body.length, 136 + 4 + 4);
    h.run();
    const got = h.delivered[0]!;
    assert.deepEqual(got.map((d) => [d.payload.length, d.fragments]), [[1432, 1], [1433, 2], [3000, 3], [4, 1]]);
    assert.deepEqual(got.map((d) => [d.firstSeq, d.seq]), [[1, 1], [2, 3], [4, 6], [6, 6]]);
    assert.ok(Buffer.from(got[2]!.payload).equals(Buffer.alloc(3000, 3)));
  });

  test('the largest message (144000 bytes, 101 fragments) arrives byte-identical; one more byte is refused', () => {
    const h = new Harness(3);
    h.install();
    h.run();
    const big = Buffer.alloc(MAX_RING_PAYLOAD);
    for (let k = 0; k < big.length; k++) big[k] = (k * 7919) >>> 3;
    h.submit(2, 'SAFE', big);
    h.submit(0, 'AGREED', 'after');
    for (let round = 0; round < 20 && h.delivered[1]!.length < 2; round++) {
      if (h.inflight.length === 0) h.fire(0, 'HURRY');
      h.run();
    }
    for (let i = 0; i < 3; i++) {
      const d = h.delivered[i]!.find((x) => x.payload.length === MAX_RING_PAYLOAD);
      assert.ok(d, `d${i} got the big message`);
      assert.equal(d.fragments, MAX_FRAGMENTS);
      assert.ok(Buffer.from(d.payload).equals(big));
    }
    assert.throws(() => h.submit(0, 'AGREED', Buffer.alloc(MAX_RING_PAYLOAD + 1)), RangeError);
    assert.throws(() => h.submit(0, 'AGREED', Buffer.alloc(0)), RangeError);
    assert.deepEqual(h.anomalies, []);
  });

  test('multi-packet messages of several originators interleave in seq order and reassemble per originator', () => {
    const h = new Harness(3, { personalWindow: 2, window: 6 });
    h.install();
    h.run();
    h.submit(0, 'AGREED', Buffer.alloc(5000, 10));
    h.submit(1, 'FIFO', Buffer.alloc(6000, 11));
    h.submit(2, 'RELIABLE', Buffer.alloc(7000, 12));
    for (let round = 0; round < 30 && h.delivered[0]!.length < 3; round++) {
      if (h.inflight.length === 0) h.fire(0, 'HURRY');
      h.run();
    }
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(h.delivered[i]!.map((d) => [d.payload.length, d.payload[0]]), [[5000, 10], [6000, 11], [7000, 12]]);
    }
    // interleaved: with 2 packets per visit the three messages' seq ranges overlap
    const ranges = h.delivered[0]!.map((d) => [d.firstSeq, d.seq] as const);
    assert.ok(ranges[1]![0] < ranges[0]![1], `overlap ${JSON.stringify(ranges)}`);
    assert.deepEqual(h.anomalies, []);
  });
});
