// SP_receive's buffer semantics (spec 8.1 to 8.3): short buffers keep the message and report the
// needed sizes, DROP_RECV truncates, memberships are converted from a big-endian daemon's order.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as sp from '../../client/sp.ts';
import { startFakeDaemon, type FakeDaemon, type FakeSession } from './helpers/fake-daemon.ts';
import { bigEndianDaemonCopy, dataFrame } from './helpers/frames.ts';
import { stepDump } from '../support/spec-dumps.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

async function connect(name: string): Promise<{ mbox: number; session: FakeSession }> {
  const d = await startFakeDaemon();
  daemons.push(d);
  const out = { mbox: 0, privateGroup: '' };
  assert.equal(await sp.SP_connect(d.spreadName, name, 0, 1, out), sp.ACCEPT_SESSION);
  return { mbox: out.mbox, session: await d.nextSession() };
}

const body100 = Buffer.from('0123456789'.repeat(10));
const threeGroups = (): Buffer => dataFrame(sp.SAFE_MESS, '#x#sp1', ['g1', 'g2', 'g3'], 7, body100);

/** Waits until the whole of `n` bytes are unconsumed (the frames have arrived). */
async function untilPolled(mbox: number, n: number): Promise<void> {
  for (let i = 0; i < 200 && sp.SP_poll(mbox) < n; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sp.SP_poll(mbox), n);
}

test('short groups and buffer without DROP_RECV: sizes reported, message kept for the retry', async () => {
  const { mbox, session } = await connect('bob');
  const frame = threeGroups();
  session.send(frame);
  await untilPolled(mbox, frame.length);
  assert.equal(sp.SP_message_waiting(mbox), 1);

  const r = sp.newReceiveParams(2);
  const small = Buffer.alloc(50);
  assert.equal(await sp.SP_receive(mbox, r, small.length, small), sp.GROUPS_TOO_SHORT);
  assert.equal(r.numGroups, -3);
  assert.equal(r.endianMismatch, -100);
  assert.equal(r.serviceType, sp.SAFE_MESS);
  assert.equal(r.messType, 7);
  assert.equal(r.sender, '#x#sp1');
  assert.equal(sp.SP_poll(mbox), frame.length - 48, 'the header counts as read');

  r.maxGroups = 3;
  assert.equal(await sp.SP_receive(mbox, r, small.length, small), sp.BUFFER_TOO_SHORT);
  assert.equal(r.numGroups, 0);
  assert.equal(r.endianMismatch, -100);

  const big = Buffer.alloc(100);
  assert.equal(await sp.SP_receive(mbox, r, big.length, big), 100);
  assert.deepEqual(r.groups, ['g1', 'g2', 'g3']);
  assert.equal(r.numGroups, 3);
  assert.equal(r.endianMismatch, 0);
  assert.ok(big.equals(body100));
  assert.equal(sp.SP_poll(mbox), 0);
  assert.equal(sp.SP_message_waiting(mbox), 0);
  sp.SP_kill(mbox);
});

test('DROP_RECV: truncated groups and body, BUFFER_TOO_SHORT only when the body did not fit', async () => {
  const { mbox, session } = await connect('bob');
  session.send(threeGroups(), threeGroups(), stepDump(10));
  const r = sp.newReceiveParams(2);
  r.serviceType = sp.DROP_RECV;
  const buf = Buffer.alloc(40);
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), sp.BUFFER_TOO_SHORT);
  assert.equal(r.numGroups, -3);
  assert.deepEqual(r.groups, ['g1', 'g2']);
  assert.equal(r.serviceType, sp.SAFE_MESS);
  assert.equal(r.messType, 7);
  assert.ok(buf.equals(body100.subarray(0, 40)));

  r.serviceType = sp.DROP_RECV;
  const big = Buffer.alloc(200);
  assert.equal(await sp.SP_receive(mbox, r, big.length, big), 100, 'groups discarded, body fits: success');
  assert.equal(r.numGroups, -3);

  // A regular membership whose member list was cut keeps mess_type -1.
  r.serviceType = sp.DROP_RECV;
  r.maxGroups = 1;
  assert.equal(await sp.SP_receive(mbox, r, big.length, big), 56);
  assert.equal(r.numGroups, -2);
  assert.equal(r.messType, -1);
  assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_JOIN);
  sp.SP_kill(mbox);
});

test('short buffers for a membership and a reject report what the header alone says', async () => {
  const { mbox, session } = await connect('bob');
  const rej = Buffer.alloc(48 + 4 + 64 + 5);
  rej.writeUInt32LE((sp.REJECT_MESS | sp.SELF_DISCARD | 0x80000080) >>> 0, 0);
  rej.write('#bob#sp1', 4, 'latin1');
  rej.writeInt32LE(2, 36);
  rej.writeUInt32LE(0x80010280, 40);
  rej.writeInt32LE(5, 44);
  rej.writeUInt32LE((sp.AGREED_MESS | sp.SELF_DISCARD | 0x80000080) >>> 0, 48);
  rej.write('chat', 52, 'latin1');
  rej.write('#bob#sp1', 84, 'latin1');
  rej.write('hello', 116, 'latin1');
  session.send(stepDump(10), rej);

  const r = sp.newReceiveParams(1);
  const buf = Buffer.alloc(100);
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), sp.GROUPS_TOO_SHORT);
  assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_JOIN);
  assert.equal(r.messType, 0, 'membership: 0 on a short buffer');
  assert.equal(r.sender, 'chat');
  r.maxGroups = 10;
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 56);

  r.maxGroups = 1;
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), sp.GROUPS_TOO_SHORT);
  assert.equal(r.serviceType, sp.REJECT_MESS | sp.SELF_DISCARD, 'old_type not read yet');
  assert.equal(r.messType, 258);
  r.maxGroups = 10;
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 5);
  assert.equal(r.serviceType, sp.REJECT_MESS | sp.AGREED_MESS | sp.SELF_DISCARD);
  sp.SP_kill(mbox);
});

test('a big-endian daemon membership is converted in the part of the body that was received', async () => {
  const { mbox, session } = await connect('bob');
  session.send(bigEndianDaemonCopy(stepDump(11)));
  const r = sp.newReceiveParams(10);
  r.serviceType = sp.DROP_RECV;
  const buf = Buffer.alloc(30);
  assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), sp.BUFFER_TOO_SHORT);
  assert.equal(r.messType, 1);
  assert.equal(buf.readInt32LE(0), 0xfd8f8d45 | 0);
  assert.equal(buf.readInt32LE(8), 2);
  assert.equal(buf.readUInt32LE(12), 1, 'num_vs_sets');
  assert.equal(buf.readUInt32LE(16), 0, 'local_vs_set_offset');
  assert.equal(buf.readUInt32LE(20), 1, "first set's count");
  assert.equal(buf.subarray(24, 30).toString('latin1'), '#bob#s');
  sp.SP_kill(mbox);
});

test('SP_scat_receive fills the scatter in order; concurrent receives return messages in call order', async () => {
  const { mbox, session } = await connect('bob');
  session.send(
    dataFrame(sp.FIFO_MESS, '#x#sp1', ['g'], 1, 'abcdefghij'),
    dataFrame(sp.FIFO_MESS, '#x#sp1', ['g'], 2, 'second'),
    dataFrame(sp.FIFO_MESS, '#x#sp1', ['g'], 3, 'third'),
  );
  const a = Buffer.alloc(3);
  const b = Buffer.alloc(10);
  const r = sp.newReceiveParams(5);
  assert.equal(await sp.SP_scat_receive(mbox, r, [a, b]), 10);
  assert.equal(a.toString(), 'abc');
  assert.equal(b.subarray(0, 7).toString(), 'defghij');

  const r2 = sp.newReceiveParams(5);
  const r3 = sp.newReceiveParams(5);
  const b2 = Buffer.alloc(20);
  const b3 = Buffer.alloc(20);
  const [n2, n3] = await Promise.all([sp.SP_receive(mbox, r2, 20, b2), sp.SP_receive(mbox, r3, 20, b3)]);
  assert.equal(n2, 6);
  assert.equal(r2.messType, 2);
  assert.equal(n3, 5);
  assert.equal(r3.messType, 3);
  sp.SP_kill(mbox);
});

test('end of stream: queued messages first, then CONNECTION_CLOSED once, then NET_ERROR_ON_SESSION', async () => {
  const { mbox, session } = await connect('bob');
  session.send(stepDump(8));
  session.end();
  assert.equal(await sp.SP_wait_message(mbox), 1);
  const r = sp.newReceiveParams(5);
  const buf = Buffer.alloc(20);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), 5);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), sp.CONNECTION_CLOSED);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), sp.NET_ERROR_ON_SESSION);
  assert.equal(await sp.SP_join(mbox, 'g'), sp.NET_ERROR_ON_SESSION);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS, 'g', 0, 1, Buffer.from('x')), sp.NET_ERROR_ON_SESSION);
  assert.equal(await sp.SP_disconnect(mbox), 0);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), sp.ILLEGAL_SESSION);
});

test('a header with a negative count is a fatal protocol error: ILLEGAL_MESSAGE, then NET_ERROR_ON_SESSION', async () => {
  const { mbox, session } = await connect('bob');
  const bad = Buffer.from(stepDump(8));
  bad.writeInt32LE(-1, 44);
  session.send(stepDump(8), bad);
  const r = sp.newReceiveParams(5);
  const buf = Buffer.alloc(20);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), 5, 'the good message before it is delivered');
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), sp.ILLEGAL_MESSAGE);
  assert.equal(await sp.SP_receive(mbox, r, 20, buf), sp.NET_ERROR_ON_SESSION);
  sp.SP_kill(mbox);
});
