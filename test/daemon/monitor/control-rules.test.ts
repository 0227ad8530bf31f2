// Which control packets a daemon accepts (design 9.1): configured senders only, DangerousMonitor
// gating, partition and terminate vectors, flow control checked against the values in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../daemon/config/index.ts';
import { controlEffects, type ControlContext } from '../../../daemon/monitor/control-rules.ts';
import type { ControlPacket } from '../../../daemon/wire/control.ts';

const config = parseConfig('Spread_Segment 127.255.255.255:23700 {\n a 127.0.0.1\n b 127.0.0.2\n c 127.0.0.3\n}\n', '<t>');
const [a, b] = config.daemons as [(typeof config.daemons)[0], (typeof config.daemons)[0]];
const ctx = (over: Partial<ControlContext> = {}): ControlContext => ({ config, self: b, dangerousMonitor: true, window: 160, personalWindow: 20, ...over });
const env = { configHash: config.configHash, transmitter: a.id };
const fc = (window: number, pw: number, aw = -1): ControlPacket => ({ kind: 'flowControl', window, perDaemon: [[-1, -1], [pw, aw], [-1, -1]], replyPort: 9, wantAck: true });
const part = (cells: number[]): ControlPacket => ({ kind: 'partition', cells, replyPort: 9, wantAck: true });
const kinds = (c: Partial<ControlContext>, p: ControlPacket, from = a.address, e = env): string[] => controlEffects(ctx(c), e, p, from).map((x) => x.kind);

test('only configured daemons, from their own address, with the same configuration hash', () => {
  assert.deepEqual(kinds({}, { kind: 'statusRequest', replyPort: 9, wantAck: false }), ['sendStatus']);
  assert.deepEqual(kinds({}, { kind: 'statusRequest', replyPort: 9, wantAck: false }, '127.0.0.9'), ['refused']);
  assert.deepEqual(kinds({}, { kind: 'statusRequest', replyPort: 9, wantAck: false }, a.address, { ...env, transmitter: 12345 }), ['refused']);
  assert.deepEqual(kinds({}, { kind: 'statusRequest', replyPort: 9, wantAck: false }, a.address, { ...env, configHash: env.configHash ^ 1 }), ['refused']);
});

test('DangerousMonitor off: partition, terminate and flow control refused, with a negative acknowledgement', () => {
  for (const p of [part([0, 0, 1]), part([0, -1, 0]), fc(100, 10)]) {
    const e = controlEffects(ctx({ dangerousMonitor: false }), env, p, a.address);
    assert.deepEqual(e.map((x) => x.kind), ['refused', 'ack']);
    assert.deepEqual(e[1], { kind: 'ack', address: a.address, port: 9, accepted: false, reason: 'DangerousMonitor is off' });
  }
});

test('partition: applied; -1 for this daemon terminates it; -1 elsewhere keeps this daemon with them; bad vectors refused', () => {
  assert.deepEqual(controlEffects(ctx(), env, part([0, 0, 1]), a.address)[0], { kind: 'setPartition', cells: [0, 0, 1] });
  assert.deepEqual(kinds({}, part([0, -1, 0])), ['ack', 'terminate']);
  assert.deepEqual(controlEffects(ctx(), env, part([-1, 2, 0]), a.address)[0], { kind: 'setPartition', cells: [2, 2, 0] });
  assert.deepEqual(kinds({}, part([0, 1])), ['refused', 'ack']);
  assert.deepEqual(kinds({}, part([0, -2, 0])), ['refused', 'ack']);
});

test('flow control: this daemon\'s entry and the window; -1 keeps a value; checked against the values in force', () => {
  assert.deepEqual(controlEffects(ctx(), env, fc(100, 10, 5), a.address)[0], { kind: 'setFlowControl', window: 100, personalWindow: 10, acceleratedWindow: 5 });
  assert.deepEqual(controlEffects(ctx(), env, fc(-1, 10), a.address)[0], { kind: 'setFlowControl', window: undefined, personalWindow: 10, acceleratedWindow: undefined });
  assert.deepEqual(kinds({}, fc(10, -1)), ['refused', 'ack'], 'personal window 20 in force is above the new window 10');
  assert.deepEqual(kinds({ window: 30 }, fc(-1, 40)), ['refused', 'ack'], 'above the window in force');
  assert.deepEqual(kinds({}, fc(0, -1)), ['refused', 'ack'], 'a window of 0 stops the ring');
  assert.deepEqual(kinds({}, fc(-1, 0)), ['refused', 'ack']);
});
