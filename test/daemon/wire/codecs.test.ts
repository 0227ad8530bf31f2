// Daemon-to-daemon codecs: decode(encode(x)) = x, exact layout facts, and garbage never throws.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ARU_UNSET,
  DATA_HEADER_BYTES,
  DatagramKind,
  MAX_FRAGMENTS,
  MAX_TOKEN_BYTES,
  NO_DAEMON,
  NO_SEGMENT,
  MAX_PACKET_BODY_BYTES,
  decodeDataPacket,
  decodeHurry,
  decodeToken,
  encodeDataPacket,
  encodeHurry,
  encodeToken,
  packedCost,
  peekEnvelope,
  stampSender,
  tokenBytes,
  type RingService,
  type Token,
} from '../../../daemon/wire/index.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const daemonId = fc.integer({ min: 1, max: 0xfffffffe });
const plain = { noNullPrototype: true } as const;
const ringId = fc.record({ procId: daemonId, time: u32 }, plain);

describe('data packet', () => {
  test('layout: version, kind, hash and transmitter where the envelope says', () => {
    const b = encodeDataPacket(
      { service: 'AGREED', configHash: 0xa1b2c3d4, transmitter: 7, originator: 9, ringId: { procId: 7, time: 3 }, seq: 42, tokenRound: 5, firstFragmentIndex: -1 },
      Buffer.from('hello'),
    );
    assert.equal(b.length, DATA_HEADER_BYTES + 5);
    assert.deepEqual(peekEnvelope(b), { version: 1, kind: DatagramKind.DATA, configHash: 0xa1b2c3d4, transmitter: 7 });
    assert.equal(b.readUInt32BE(24), 42); // network byte order
    stampSender(b, 0x0badf00d, 0xfffffffe);
    const p = decodeDataPacket(b);
    assert.ok(typeof p !== 'string');
    assert.equal(p.transmitter, 0xfffffffe);
    assert.equal(p.configHash, 0x0badf00d);
    assert.equal(p.originator, 9);
  });

  test('round trip with packed messages, padding to 4 bytes', () => {
    const packet = fc.record({
      service: fc.constantFrom<RingService>('FIFO', 'AGREED'),
      originator: daemonId,
      transmitter: daemonId,
      ringId,
      seq: u32,
      tokenRound: u32,
      index: fc.oneof(fc.integer({ min: 1, max: MAX_FRAGMENTS - 1 }), fc.integer({ min: -MAX_FRAGMENTS, max: -1 })),
      first: fc.uint8Array({ minLength: 1, maxLength: 700 }),
      packed: fc.array(fc.record({ service: fc.constantFrom<RingService>('FIFO', 'AGREED'), payload: fc.uint8Array({ minLength: 1, maxLength: 90 }) }), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(packet, (x) => {
        const packed = x.index < 0 ? x.packed : [];
        const b = encodeDataPacket(
          { service: x.service, configHash: 99, transmitter: x.transmitter, originator: x.originator, ringId: x.ringId, seq: x.seq, tokenRound: x.tokenRound, firstFragmentIndex: x.index },
          x.first,
          packed,
        );
        const p = decodeDataPacket(b);
        assert.ok(typeof p !== 'string', String(p));
        assert.equal(p.service, x.service);
        assert.equal(p.originator, x.originator);
        assert.deepEqual(p.ringId, x.ringId);
        assert.equal(p.seq, x.seq);
        assert.equal(p.tokenRound, x.tokenRound);
        assert.equal(p.firstFragmentIndex, x.index);
        assert.deepEqual(Uint8Array.from(p.body.subarray(0, p.firstFragmentLength)), x.first);
        let expect = x.first.length;
        for (const m of packed) expect += packedCost(expect, m.payload.length);
        assert.equal(p.body.length, expect);
      }),
      { numRuns: 300 },
    );
  });

  test('the largest body (PacketSize 65507) is accepted, one more byte is not', () => {
    const h = { service: 'SAFE' as const, configHash: 1, transmitter: 2, originator: 2, ringId: { procId: 2, time: 1 }, seq: 1, tokenRound: 0, firstFragmentIndex: 1 };
    const full = encodeDataPacket(h, new Uint8Array(MAX_PACKET_BODY_BYTES));
    assert.ok(typeof decodeDataPacket(full) !== 'string');
    assert.throws(() => encodeDataPacket(h, new Uint8Array(MAX_PACKET_BODY_BYTES + 1)));
    const over = Buffer.concat([full, Buffer.alloc(1)]);
    over.writeUInt16BE(MAX_PACKET_BODY_BYTES + 1, 36);
    assert.match(String(decodeDataPacket(over)), /body/);
  });

  test('rejects what must not be: wrong counts, services mixed, packing behind an inner fragment', () => {
    const h = { service: 'AGREED' as const, configHash: 1, transmitter: 2, originator: 2, ringId: { procId: 2, time: 1 }, seq: 1, tokenRound: 0, firstFragmentIndex: -1 };
    const good = encodeDataPacket(h, Buffer.from('abc'), [{ service: 'FIFO', payload: Buffer.from('xy') }]);
    assert.ok(typeof decodeDataPacket(good) !== 'string');
    const cases: Array<[string, (b: Buffer) => void]> = [
      ['body length', (b) => b.writeUInt16BE(b.readUInt16BE(36) + 1, 36)],
      ['fragment index', (b) => b.writeInt16BE(0, 32)],
      ['fragment index', (b) => b.writeInt16BE(MAX_FRAGMENTS, 32)],
      ['first fragment', (b) => b.writeUInt16BE(0, 34)],
      ['packed in a AGREED', (b) => (b[DATA_HEADER_BYTES + 4] = 1)], // RELIABLE behind AGREED
      ['packed service', (b) => (b[DATA_HEADER_BYTES + 4] = 9)],
      ['overruns', (b) => b.writeUInt16BE(3, DATA_HEADER_BYTES + 6)],
      ['inner fragment', (b) => b.writeInt16BE(3, 32)],
      ['service code', (b) => (b[2] = 0)],
      ['flags', (b) => (b[3] = 0x80)],
      ['version', (b) => (b[0] = 2)],
    ];
    for (const [reason, mutate] of cases) {
      const b = Buffer.from(good);
      mutate(b);
      const r = decodeDataPacket(b);
      assert.equal(typeof r, 'string', reason);
      assert.match(r as string, new RegExp(reason.split(' ')[0]!), reason);
    }
  });
});

describe('token', () => {
  const rtrEntry = fc.record({
    ringId,
    targetDaemon: fc.oneof(daemonId, fc.constant(NO_DAEMON)),
    targetSegment: fc.oneof(fc.integer({ min: 0, max: 19 }), fc.constant(NO_SEGMENT)),
    seqs: fc.array(u32, { maxLength: 40 }),
  }, plain);
  const token = fc.record({
    configHash: u32,
    transmitter: daemonId,
    procId: daemonId,
    ringId,
    arq: fc.integer({ min: 0, max: 15 }),
    retrans: fc.integer({ min: 0, max: 255 }),
    seq: u32,
    aru: u32,
    aruSetter: fc.oneof(daemonId, fc.constant(NO_DAEMON)),
    flowControl: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    rtr: fc.array(rtrEntry, { maxLength: 5 }),
  }, plain);

  test('round trip', () => {
    fc.assert(
      fc.property(token, (t: Token) => {
        const b = encodeToken(t);
        assert.equal(b.length, tokenBytes(t.rtr));
        fc.pre(b.length <= MAX_TOKEN_BYTES);
        assert.deepEqual(decodeToken(b), t);
      }),
      { numRuns: 300 },
    );
  });

  test('aru unset and no setter travel as all ones', () => {
    const t: Token = { configHash: 1, transmitter: 2, procId: 2, ringId: { procId: 2, time: 9 }, arq: 0, retrans: 0, seq: 0, aru: ARU_UNSET, aruSetter: NO_DAEMON, flowControl: 0, rtr: [] };
    const b = encodeToken(t);
    assert.equal(b.readUInt32BE(28), 0xffffffff);
    assert.equal(b.readUInt32BE(32), 0xffffffff);
    assert.deepEqual(decodeToken(b), t);
  });

  test('rejects lying counts and trailing bytes', () => {
    const t: Token = { configHash: 1, transmitter: 2, procId: 2, ringId: { procId: 2, time: 9 }, arq: 3, retrans: 0, seq: 10, aru: 8, aruSetter: 2, flowControl: 4, rtr: [{ ringId: { procId: 2, time: 9 }, targetDaemon: 2, targetSegment: 0, seqs: [9, 10] }] };
    const b = encodeToken(t);
    const more = Buffer.from(b);
    more.writeUInt16BE(3, 44 + 14);
    assert.match(String(decodeToken(more)), /beyond/);
    assert.match(String(decodeToken(Buffer.concat([b, Buffer.alloc(2)]))), /trailing/);
    const entries = Buffer.from(b);
    entries.writeUInt16BE(2, 40);
    assert.match(String(decodeToken(entries)), /truncated/);
    const arq = Buffer.from(b);
    arq[2] = 16;
    assert.match(String(decodeToken(arq)), /arq/);
  });
});

describe('hurry', () => {
  test('round trip and exact size', () => {
    fc.assert(
      fc.property(u32, daemonId, ringId, (configHash, transmitter, r) => {
        const h = { configHash, transmitter, ringId: r };
        assert.deepEqual(decodeHurry(encodeHurry(h)), h);
      }),
    );
    const b = encodeHurry({ configHash: 1, transmitter: 2, ringId: { procId: 2, time: 1 } });
    assert.equal(typeof decodeHurry(b.subarray(0, 19)), 'string');
  });
});

describe('garbage', () => {
  test('no decoder throws on random bytes, and what they accept re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
        peekEnvelope(bytes);
        const p = decodeDataPacket(bytes);
        const t = decodeToken(bytes);
        const h = decodeHurry(bytes);
        if (typeof t !== 'string') assert.deepEqual(encodeToken(t), Buffer.from(bytes));
        if (typeof h !== 'string') assert.deepEqual(encodeHurry(h), Buffer.from(bytes));
        if (typeof p !== 'string') assert.ok(p.body.length <= MAX_PACKET_BODY_BYTES);
      }),
      { numRuns: 2000 },
    );
  });

  test('mutated valid datagrams never throw', () => {
    const data = encodeDataPacket(
      { service: 'RELIABLE', configHash: 5, transmitter: 6, originator: 6, ringId: { procId: 6, time: 1 }, seq: 3, tokenRound: 1, firstFragmentIndex: -1 },
      Buffer.alloc(100, 1),
      [{ service: 'RELIABLE', payload: Buffer.alloc(7, 2) }, { service: 'RELIABLE', payload: Buffer.alloc(30, 3) }],
    );
    const token = encodeToken({ configHash: 5, transmitter: 6, procId: 6, ringId: { procId: 6, time: 1 }, arq: 1, retrans: 0, seq: 3, aru: 2, aruSetter: 6, flowControl: 1, rtr: [{ ringId: { procId: 6, time: 1 }, targetDaemon: 6, targetSegment: 0, seqs: [3] }] });
    const mutation = fc.record({
      which: fc.boolean(),
      flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(mutation, (m) => {
        const b = Buffer.from(m.which ? data : token);
        for (const f of m.flips) b[f.at % b.length] = f.value;
        const cut = m.cut === undefined ? b : b.subarray(0, m.cut % (b.length + 1));
        decodeDataPacket(cut);
        decodeToken(cut);
        decodeHurry(cut);
        peekEnvelope(cut);
      }),
      { numRuns: 2000 },
    );
  });
});
