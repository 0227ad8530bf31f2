// ALIVE, JOIN, REFER and form token codecs: decode(encode(x)) = x, layout facts, holes as
// ranges, and garbage never throws.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DatagramKind,
  FORM_HEADER_BYTES,
  MAX_PROCS_RING,
  RepType,
  decodeAlive,
  decodeFormToken,
  decodeJoin,
  decodeRefer,
  encodeAlive,
  encodeFormToken,
  encodeJoin,
  encodeRefer,
  holeRanges,
  peekEnvelope,
  type FormToken,
  type RepInfo,
  type RingInfo,
} from '../../../daemon/wire/index.ts';

const plain = { noNullPrototype: true } as const;
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const daemonId = fc.integer({ min: 1, max: 0xfffffffe });
const ringId = fc.record({ procId: daemonId, time: u32 }, plain);
const rep: fc.Arbitrary<RepInfo> = fc.record(
  { id: daemonId, type: fc.constantFrom(RepType.POTENTIAL, RepType.SEG, RepType.RING), segIndex: fc.integer({ min: 0, max: 19 }) },
  plain,
);

const ringInfo: fc.Arbitrary<RingInfo> = fc
  .record(
    {
      ringId,
      transTime: u32,
      aru: fc.integer({ min: 0, max: 100_000 }),
      span: fc.integer({ min: 0, max: 3000 }),
      holeBits: fc.array(fc.boolean(), { maxLength: 3000 }),
      commit: fc.uniqueArray(daemonId, { minLength: 1, maxLength: 20 }),
      transFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    },
    plain,
  )
  .map((x) => {
    const holes: number[] = [];
    for (let i = 0; i < Math.min(x.span, x.holeBits.length); i++) if (x.holeBits[i]) holes.push(x.aru + 1 + i);
    return {
      ringId: x.ringId,
      transTime: x.transTime,
      aru: x.aru,
      highestSeq: x.aru + x.span,
      holes,
      trans: Math.max(1, Math.ceil(x.transFraction * x.commit.length)),
      commit: x.commit,
    };
  });

const formToken: fc.Arbitrary<FormToken> = fc
  .record(
    {
      kind: fc.constantFrom<'FORM1' | 'FORM2'>('FORM1', 'FORM2'),
      configHash: u32,
      transmitter: daemonId,
      procId: daemonId,
      formId: ringId,
      seqFloor: u32,
      members: fc.uniqueArray(daemonId, { maxLength: 40 }),
      confirmedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      reps: fc.array(rep, { minLength: 1, maxLength: 25 }),
      cursorFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      newRingId: ringId,
      rings: fc.array(ringInfo, { maxLength: 4 }),
    },
    plain,
  )
  .map((x) => ({
    kind: x.kind,
    configHash: x.configHash,
    transmitter: x.transmitter,
    procId: x.procId,
    formId: x.formId,
    seqFloor: x.seqFloor,
    members: x.members,
    confirmed: Math.floor(x.confirmedFraction * x.members.length),
    reps: x.kind === 'FORM1' ? x.reps : [],
    repCursor: x.kind === 'FORM1' ? Math.floor(x.cursorFraction * x.reps.length) : 0,
    newRingId: x.kind === 'FORM2' ? x.newRingId : { procId: 0, time: 0 },
    rings: x.rings,
  }));

describe('ALIVE, JOIN, REFER', () => {
  test('round trips', () => {
    fc.assert(
      fc.property(u32, daemonId, fc.array(daemonId, { maxLength: MAX_PROCS_RING }), fc.array(rep, { minLength: 1, maxLength: 25 }), (configHash, transmitter, members, reps) => {
        assert.deepEqual(decodeAlive(encodeAlive({ configHash, transmitter, members })), { configHash, transmitter, members });
        assert.deepEqual(decodeJoin(encodeJoin({ configHash, transmitter, members, reps })), { configHash, transmitter, members, reps });
        const r = { configHash, transmitter, rep: reps[0]!.id, repType: reps[0]!.type };
        assert.deepEqual(decodeRefer(encodeRefer(r)), r);
      }),
    );
  });

  test('layout: the envelope the network layer filters on, kinds on the data port', () => {
    const b = encodeJoin({ configHash: 0xabcdef01, transmitter: 9, members: [9, 10], reps: [{ id: 9, type: RepType.SEG, segIndex: 0 }] });
    assert.deepEqual(peekEnvelope(b), { version: 1, kind: DatagramKind.JOIN, configHash: 0xabcdef01, transmitter: 9 });
    assert.equal(b.length, 16 + 8 + 8);
    assert.equal((peekEnvelope(encodeRefer({ configHash: 1, transmitter: 2, rep: 3, repType: RepType.RING })) as { kind: number }).kind, DatagramKind.REFER);
  });

  test('malformed ones are refused with a reason', () => {
    const j = encodeJoin({ configHash: 1, transmitter: 2, members: [2], reps: [{ id: 2, type: RepType.SEG, segIndex: 0 }] });
    assert.match(String(decodeJoin(j.subarray(0, j.length - 1))), /bytes/);
    const noReps = Buffer.from(j);
    noReps.writeUInt16BE(0, 14);
    assert.match(String(decodeJoin(noReps)), /reps/);
    const badType = Buffer.from(j);
    badType[16 + 4 + 4] = 7;
    assert.match(String(decodeJoin(badType)), /rep type 7/);
    assert.match(String(decodeAlive(j)), /not ALIVE/);
  });
});

describe('form tokens', () => {
  test('round trip, FORM1 and FORM2', () => {
    fc.assert(
      fc.property(formToken, (t) => {
        assert.deepEqual(decodeFormToken(encodeFormToken(t)), t);
      }),
      { numRuns: 300 },
    );
  });

  test('holes travel as ranges: a long run of holes costs 8 bytes', () => {
    assert.deepEqual(holeRanges([3, 4, 5, 9, 11, 12]), [
      [3, 5],
      [9, 9],
      [11, 12],
    ]);
    const holes = Array.from({ length: 1500 }, (_, i) => 101 + i);
    const t: FormToken = {
      kind: 'FORM2',
      configHash: 1,
      transmitter: 2,
      procId: 2,
      formId: { procId: 2, time: 5 },
      seqFloor: 5000,
      members: [2, 3],
      confirmed: 0,
      reps: [],
      repCursor: 0,
      newRingId: { procId: 2, time: 6 },
      rings: [{ ringId: { procId: 2, time: 1 }, transTime: 0, aru: 100, highestSeq: 1600, holes, trans: 1, commit: [2] }],
    };
    const b = encodeFormToken(t);
    assert.equal(b.length, FORM_HEADER_BYTES + 8 + 28 + 8 + 4);
    assert.deepEqual((decodeFormToken(b) as FormToken).rings[0]!.holes, holes);
  });

  test('malformed ones are refused: counts beyond the datagram, holes out of order or above the highest seq', () => {
    const t: FormToken = {
      kind: 'FORM1',
      configHash: 1,
      transmitter: 2,
      procId: 2,
      formId: { procId: 2, time: 5 },
      seqFloor: 5000,
      members: [2, 3],
      confirmed: 1,
      reps: [{ id: 2, type: RepType.SEG, segIndex: 0 }],
      repCursor: 1,
      newRingId: { procId: 0, time: 0 },
      rings: [{ ringId: { procId: 2, time: 1 }, transTime: 0, aru: 10, highestSeq: 20, holes: [12, 13], trans: 1, commit: [2] }],
    };
    const b = encodeFormToken(t);
    assert.ok(typeof decodeFormToken(b) !== 'string');
    const ranges = FORM_HEADER_BYTES + 8 + 8 + 28;
    const high = Buffer.from(b);
    high.writeUInt32BE(21, ranges + 4);
    assert.match(String(decodeFormToken(high)), /hole range/);
    const many = Buffer.from(b);
    many.writeUInt16BE(200, 30);
    assert.match(String(decodeFormToken(many)), /members|beyond/);
    const noTrans = Buffer.from(b);
    noTrans.writeUInt16BE(0, FORM_HEADER_BYTES + 8 + 8 + 22);
    assert.match(String(decodeFormToken(noTrans)), /trans 0/);
    assert.match(String(decodeFormToken(Buffer.concat([b, Buffer.alloc(4)]))), /trailing/);
  });

  test('no decoder throws on random bytes, and what they accept re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.constantFrom(4, 5, 6, 7, 8), (bytes, kind) => {
        const b = Buffer.from(bytes);
        if (b.length > 1) {
          b[0] = 1;
          b[1] = kind;
        }
        for (const decode of [decodeAlive, decodeJoin, decodeRefer] as const) decode(b);
        const f = decodeFormToken(b);
        if (typeof f !== 'string') assert.deepEqual(encodeFormToken(f), b);
      }),
      { numRuns: 2000 },
    );
  });
});
