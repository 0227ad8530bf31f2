// One daemon, raw clients over TCP and the Unix socket: services, multi-group delivery,
// SELF_DISCARD, private-group unicast, membership messages and their reasons.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGREED_MESS, CAUSAL_MESS, CAUSED_BY_DISCONNECT, CAUSED_BY_JOIN, CAUSED_BY_LEAVE, FIFO_MESS,
  REG_MEMB_MESS, RELIABLE_MESS, SAFE_MESS, SELF_DISCARD, UNRELIABLE_MESS, decodeHint, readMembershipBody,
  encodeCommand, KILL_MESS,
} from '../../../client/wire/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawLeave, rawMulticast, rawReceive, type RawSession, type ReceivedMessage } from '../../support/raw-client.ts';

let daemon: RunningDaemon;
before(async () => {
  daemon = await startTestDaemon();
});
after(async () => {
  await daemon.stop();
});

const tcp = (): { port: number } => ({ port: daemon.tcpPort });
const unix = (): { path: string } => ({ path: daemon.unixSocketPath! });

function membership(m: ReceivedMessage) {
  const body = readMembershipBody(m.frame, m.frame.length - m.header.dataLen, m.header.dataLen, true);
  assert.ok(body, 'membership body parses');
  return body;
}

async function expectJoin(s: RawSession, group: string, members: string[], joiner: string): Promise<void> {
  const m = await rawReceive(s);
  assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_JOIN);
  assert.equal(m.header.sender, group);
  assert.deepEqual(m.groups, members);
  assert.deepEqual(membership(m).vsSets, [[joiner]]);
}

describe('services', () => {
  test('every service reaches every member, over TCP and the Unix socket', async () => {
    const a = await rawConnect(tcp(), 'svc-a');
    const b = await rawConnect(unix(), 'svc-b');
    rawJoin(a, 'svc');
    await expectJoin(a, 'svc', [a.privateGroup], a.privateGroup);
    rawJoin(b, 'svc');
    await expectJoin(a, 'svc', [a.privateGroup, b.privateGroup], b.privateGroup);
    await expectJoin(b, 'svc', [a.privateGroup, b.privateGroup], b.privateGroup);
    const services = [UNRELIABLE_MESS, RELIABLE_MESS, FIFO_MESS, CAUSAL_MESS, AGREED_MESS, SAFE_MESS];
    for (const [i, service] of services.entries()) rawMulticast(a, service, ['svc'], Buffer.from(`m${i}`), 100 + i);
    for (const s of [a, b]) {
      for (const [i, service] of services.entries()) {
        const m = await rawReceive(s);
        assert.equal(m.header.type, service);
        assert.equal(m.header.sender, a.privateGroup);
        assert.deepEqual(m.groups, ['svc']);
        assert.equal(m.body.toString(), `m${i}`);
        assert.deepEqual(decodeHint(m.header.hintRaw), { messType: 100 + i, endianMismatch: false });
      }
    }
    a.client.close();
    b.client.close();
  });

  test('multi-group and private destinations deliver one copy per session', async () => {
    const a = await rawConnect(tcp(), 'mg-a', false);
    const b = await rawConnect(tcp(), 'mg-b', false);
    const c = await rawConnect(tcp(), 'mg-c', false);
    rawJoin(b, 'mg1');
    rawJoin(b, 'mg2');
    rawJoin(c, 'mg2');
    rawMulticast(a, AGREED_MESS, ['mg1', 'mg2', b.privateGroup, 'nobody-here', '#ghost#sp1'], Buffer.from('x'));
    rawMulticast(a, AGREED_MESS, [c.privateGroup], Buffer.from('unicast'));
    const gotB = await rawReceive(b);
    assert.equal(gotB.body.toString(), 'x');
    assert.deepEqual(gotB.groups, ['mg1', 'mg2', b.privateGroup, 'nobody-here', '#ghost#sp1']);
    const gotC1 = await rawReceive(c);
    assert.equal(gotC1.body.toString(), 'x');
    const gotC2 = await rawReceive(c);
    assert.equal(gotC2.body.toString(), 'unicast');
    await b.client.expectSilence();
    await a.client.expectSilence();
    for (const s of [a, b, c]) s.client.close();
  });

  test('SELF_DISCARD keeps the sender out and the bit stays in the delivered type', async () => {
    const a = await rawConnect(tcp(), 'sd-a', false);
    const b = await rawConnect(tcp(), 'sd-b', false);
    rawJoin(a, 'sd');
    rawJoin(b, 'sd');
    rawMulticast(a, AGREED_MESS | SELF_DISCARD, ['sd'], Buffer.from('no echo'));
    rawMulticast(a, AGREED_MESS, ['sd'], Buffer.from('echo'));
    const m = await rawReceive(b);
    assert.equal(m.header.type, AGREED_MESS | SELF_DISCARD);
    assert.equal((await rawReceive(b)).body.toString(), 'echo');
    assert.equal((await rawReceive(a)).body.toString(), 'echo');
    a.client.close();
    b.client.close();
  });

  test('data type bits other than the service and SELF_DISCARD are cleared', async () => {
    const a = await rawConnect(tcp(), 'cl-a', false);
    rawJoin(a, 'clean');
    rawMulticast(a, AGREED_MESS | REG_MEMB_MESS | CAUSED_BY_JOIN, ['clean'], Buffer.from('sneaky'));
    const m = await rawReceive(a);
    assert.equal(m.header.type, AGREED_MESS);
    a.client.close();
  });

  test('leave, self-leave, disconnect and crash give the right reasons, members and group ids', async () => {
    const a = await rawConnect(tcp(), 'lv-a');
    const b = await rawConnect(tcp(), 'lv-b');
    const c = await rawConnect(unix(), 'lv-c');
    rawJoin(a, 'lv');
    await expectJoin(a, 'lv', [a.privateGroup], a.privateGroup);
    rawJoin(b, 'lv');
    const j2 = await rawReceive(a);
    await rawReceive(b);
    rawJoin(c, 'lv');
    const j3 = await rawReceive(a);
    await rawReceive(b);
    await rawReceive(c);
    assert.equal(membership(j3).groupId.index, membership(j2).groupId.index + 1);
    // joining again changes nothing
    rawJoin(c, 'lv');
    rawLeave(c, 'not-joined');
    await c.client.expectSilence();

    rawLeave(b, 'lv');
    const selfLeave = await rawReceive(b);
    assert.equal(selfLeave.header.type, CAUSED_BY_LEAVE);
    assert.equal(selfLeave.header.sender, 'lv');
    assert.equal(selfLeave.frame.length, 48);
    for (const s of [a, c]) {
      const m = await rawReceive(s);
      assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_LEAVE);
      assert.deepEqual(m.groups, [a.privateGroup, c.privateGroup]);
      assert.deepEqual(membership(m).vsSets, [[b.privateGroup]]);
    }
    // c disconnects politely
    c.client.write(encodeCommand(KILL_MESS, c.privateGroup, c.privateGroup));
    assert.equal((await c.client.expectClose()).length, 0);
    const d1 = await rawReceive(a);
    assert.equal(d1.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT);
    assert.deepEqual(d1.groups, [a.privateGroup]);
    assert.deepEqual(membership(d1).vsSets, [[c.privateGroup]]);
    // b rejoins and crashes without a word
    rawJoin(b, 'lv');
    await rawReceive(a);
    await rawReceive(b);
    b.client.close();
    const d2 = await rawReceive(a);
    assert.equal(d2.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT);
    assert.deepEqual(membership(d2).vsSets, [[b.privateGroup]]);
    a.client.close();
  });

  test('a session without membership messages is still listed as a member', async () => {
    const quiet = await rawConnect(tcp(), 'q-quiet', false);
    const loud = await rawConnect(tcp(), 'q-loud', true);
    rawJoin(quiet, 'quiet');
    rawJoin(loud, 'quiet');
    const m = await rawReceive(loud);
    assert.deepEqual(m.groups, [loud.privateGroup, quiet.privateGroup]);
    rawMulticast(loud, FIFO_MESS, ['quiet'], Buffer.from('data still flows'));
    assert.equal((await rawReceive(quiet)).body.toString(), 'data still flows');
    quiet.client.close();
    loud.client.close();
  });

  test('an empty private name gets a daemon-chosen one', async () => {
    const s = await rawConnect(tcp(), '');
    assert.match(s.privateGroup, /^#r\d+-\d+#sp1$/);
    assert.ok(s.privateGroup.length <= 31);
    s.client.close();
  });

  test('a big-endian client is understood and its hint passes through untouched', async () => {
    const recv = await rawConnect(tcp(), 'be-recv', false);
    rawJoin(recv, 'be');
    const be = await rawConnect(tcp(), 'be-send', false);
    await new Promise((r) => setTimeout(r, 20));
    const head = Buffer.alloc(48 + 32);
    head.writeUInt32BE(AGREED_MESS, 0);
    head.write(be.privateGroup, 4, 'latin1');
    head.writeInt32BE(1, 36);
    head.writeUInt32BE(0x00010200, 40); // Java's hint for mess_type 0x0102
    head.writeInt32BE(5, 44);
    head.write('be', 48, 'latin1');
    be.client.write(Buffer.concat([head, Buffer.from('hello')]));
    const m = await rawReceive(recv);
    assert.deepEqual(m.frame.subarray(0, 4), Buffer.from([0x90, 0, 0, 0x80]));
    assert.deepEqual(m.frame.subarray(40, 44), Buffer.from([0, 1, 2, 0]));
    assert.deepEqual(decodeHint(m.header.hintRaw), { messType: 0x0102, endianMismatch: true });
    assert.equal(m.body.toString(), 'hello');
    recv.client.close();
    be.client.close();
  });
});
