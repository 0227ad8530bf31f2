// VS frame codec: round trips, every validation rule, and no throw on garbage (fuzz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeVsFrame, encodeControl, encodeData, isVsMessType, viewIdFromWords, viewIdToWords, VS_HEADER_BYTES } from '../../vs-layer/wire.ts';
import { FL_MIN_LEGAL_MESS_TYPE, FLUSH_OK_MESS_TYPE, FLUSH_RECV_MESS_TYPE, VS_DATA_MESS_TYPE } from '../../vs-layer/constants.ts';

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

test('view ids: words to string and back, signed words normalized', () => {
  assert.equal(viewIdFromWords([1, 2, 3]), '1.2.3');
  assert.equal(viewIdFromWords([-1, 0, 7]), '4294967295.0.7');
  assert.deepEqual(viewIdToWords('4294967295.0.7'), [4294967295, 0, 7]);
  assert.equal(viewIdToWords('4294967296.0.7'), undefined);
  assert.equal(viewIdToWords('1.2'), undefined);
  assert.equal(viewIdToWords('a.b.c'), undefined);
});

test('reserved mess_type range is exactly the three Flush values', () => {
  assert.ok(isVsMessType(-32768) && isVsMessType(-32767) && isVsMessType(-32766));
  assert.ok(!isVsMessType(FL_MIN_LEGAL_MESS_TYPE));
  assert.ok(!isVsMessType(0) && !isVsMessType(-32769));
});

test('control frames round-trip and are exactly one header long', () => {
  for (const kind of ['flushOk', 'flushRecv'] as const) {
    const f = encodeControl(kind, '305419896.1700000000.4');
    assert.equal(f.messType, kind === 'flushOk' ? FLUSH_OK_MESS_TYPE : FLUSH_RECV_MESS_TYPE);
    assert.equal(f.body.length, VS_HEADER_BYTES);
    assert.deepEqual(decodeVsFrame(f.messType, f.body), { ok: true, frame: { kind, viewId: '305419896.1700000000.4' } });
  }
});

test('data frames round-trip: vulnerable, subgroup, both, scatter payload', () => {
  const payload = [bytes(1, 2), bytes(), bytes(3)];
  for (const fields of [{ origType: 5, tag: '1.2.3' }, { origType: -32765, group: 'chat' }, { origType: 32767, tag: '9.9.9', group: 'g$~' }]) {
    const f = encodeData(fields, payload);
    assert.equal(f.messType, VS_DATA_MESS_TYPE);
    const r = decodeVsFrame(f.messType, f.body);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.frame.kind, 'data');
    if (r.frame.kind !== 'data') return;
    assert.equal(r.frame.origType, fields.origType);
    assert.equal(r.frame.tag, fields.tag);
    assert.equal(r.frame.group, fields.group);
    assert.deepEqual([...r.frame.payload], [1, 2, 3]);
  }
});

test('encode refuses what the caller should have checked', () => {
  assert.throws(() => encodeData({ origType: -32766 }, []), RangeError);
  assert.throws(() => encodeData({ origType: 0, group: 'has space' }, []), RangeError);
  assert.throws(() => encodeData({ origType: 0, group: 'x'.repeat(32) }, []), RangeError);
  assert.throws(() => encodeControl('flushOk', 'nope'), RangeError);
});

test('decode rejects each malformed field with a reason', () => {
  const ok = encodeControl('flushOk', '1.2.3');
  const data = encodeData({ origType: 7, tag: '1.2.3', group: 'grp' }, [bytes(9)]);
  const mutate = (b: Uint8Array, i: number, v: number): Uint8Array => {
    const c = b.slice();
    c[i] = v;
    return c;
  };
  const bad: Array<[number, Uint8Array, RegExp]> = [
    [0, ok.body, /not a VS frame type/],
    [FLUSH_OK_MESS_TYPE, ok.body.subarray(0, 17), /shorter/],
    [FLUSH_OK_MESS_TYPE, mutate(ok.body, 0, 0xa2), /magic/],
    [FLUSH_OK_MESS_TYPE, mutate(ok.body, 1, 9), /unknown frame kind/],
    [FLUSH_RECV_MESS_TYPE, ok.body, /carried with mess_type/],
    [FLUSH_OK_MESS_TYPE, mutate(ok.body, 2, 1), /control frame with data fields/],
    [FLUSH_OK_MESS_TYPE, Uint8Array.from([...ok.body, 0]), /control frame of 19 bytes/],
    [VS_DATA_MESS_TYPE, mutate(data.body, 2, 0x07), /unknown flags/],
    [VS_DATA_MESS_TYPE, mutate(data.body, 2, 0x02), /view id set on a frame that is not vulnerable/],
    [VS_DATA_MESS_TYPE, mutate(data.body, 3, 0), /group name length 0/],
    [VS_DATA_MESS_TYPE, mutate(data.body, 3, 200), /group name length 200/],
    [VS_DATA_MESS_TYPE, data.body.subarray(0, 19), /ends inside the group name/],
    [VS_DATA_MESS_TYPE, mutate(data.body, 18, 0x20), /in the group name/],
    [VS_DATA_MESS_TYPE, mutate(mutate(data.body, 16, 0x80), 17, 0x00), /reserved original type -32768/],
  ];
  for (const [t, b, why] of bad) {
    const r = decodeVsFrame(t, b);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, why);
  }
});

test('fuzz: decoding arbitrary bytes never throws, and a success re-encodes to the same bytes', () => {
  fc.assert(
    fc.property(fc.constantFrom(-32768, -32767, -32766), fc.uint8Array({ maxLength: 80 }), fc.boolean(), (t, raw, magic) => {
      const body = raw.slice();
      if (magic && body.length > 0) body[0] = 0xa1;
      if (magic && body.length > 1) body[1] = (t + 32769) & 0xff;
      const r = decodeVsFrame(t, body);
      if (!r.ok) return;
      const f = r.frame;
      const again =
        f.kind === 'data'
          ? encodeData({ origType: f.origType, ...(f.tag === undefined ? {} : { tag: f.tag }), ...(f.group === undefined ? {} : { group: f.group }) }, [f.payload])
          : encodeControl(f.kind, f.viewId);
      assert.equal(again.messType, t);
      assert.deepEqual([...again.body], [...body]);
    }),
    { numRuns: 3000 },
  );
});
