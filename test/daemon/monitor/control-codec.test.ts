// Monitor control packets: every packet decodes to itself, and garbage never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeControl, encodeControl, type ControlPacket } from '../../../daemon/wire/control.ts';

const env = { configHash: 0xdeadbeef, transmitter: 0x12345678 };
const port = fc.integer({ min: 0, max: 65535 });
const packet: fc.Arbitrary<ControlPacket> = fc.oneof(
  fc.record({ kind: fc.constant('statusRequest' as const), replyPort: port, wantAck: fc.boolean() }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('statusReply' as const), json: fc.json() }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('partition' as const), cells: fc.array(fc.integer({ min: -1, max: 127 }), { maxLength: 128 }), replyPort: port, wantAck: fc.boolean() }, { noNullPrototype: true }),
  fc.record({
    kind: fc.constant('flowControl' as const),
    window: fc.integer({ min: -1, max: 100000 }),
    perDaemon: fc.array(fc.tuple(fc.integer({ min: -1, max: 10000 }), fc.integer({ min: -1, max: 10000 })), { maxLength: 128 }),
    replyPort: port,
    wantAck: fc.boolean(),
  }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('ack' as const), accepted: fc.boolean(), reason: fc.string() }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('reload' as const), replyPort: port, wantAck: fc.boolean() }, { noNullPrototype: true }),
);

test('control packets round-trip', () => {
  fc.assert(
    fc.property(packet, (p) => {
      const d = decodeControl(encodeControl(p, env));
      assert.notEqual(typeof d, 'string');
      if (typeof d === 'string') return;
      assert.deepEqual(d.env, env);
      assert.deepEqual(JSON.parse(JSON.stringify(d.packet)), JSON.parse(JSON.stringify(p)));
    }),
  );
});

test('garbage and truncations are refused with a reason, never thrown', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const d = decodeControl(bytes);
      assert.ok(typeof d === 'string' || typeof d === 'object');
    }),
  );
  const full = encodeControl({ kind: 'partition', cells: [0, 1, 1], replyPort: 7, wantAck: false }, env);
  for (let cut = 0; cut < full.length; cut++) assert.equal(typeof decodeControl(full.subarray(0, cut)), 'string');
});
