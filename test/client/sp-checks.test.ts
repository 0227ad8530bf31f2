// The local checks of spec 8.7: each refused call returns its code and sends nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as sp from '../../client/sp.ts';
import { startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

test('every local check refuses without sending, and a valid call still goes through', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const out = { mbox: 0, privateGroup: '' };
  assert.equal(await sp.SP_connect(d.spreadName, 'alice', 0, 1, out), sp.ACCEPT_SESSION);
  const session = await d.nextSession();
  const mbox = out.mbox;
  const one = Buffer.from('x');

  for (const g of ['', 'a b', '#alice#sp1', 'x'.repeat(32), 'caf\u00e9', 'tab\there', 'ctl\u0001']) {
    assert.equal(await sp.SP_join(mbox, g), sp.ILLEGAL_GROUP, `join ${JSON.stringify(g)}`);
    assert.equal(await sp.SP_leave(mbox, g), sp.ILLEGAL_GROUP, `leave ${JSON.stringify(g)}`);
  }
  for (const t of [0, sp.SELF_DISCARD, sp.SAFE_MESS | sp.AGREED_MESS, sp.RELIABLE_MESS | sp.FIFO_MESS, sp.SAFE_MESS | sp.REG_MEMB_MESS, sp.SAFE_MESS | sp.JOIN_MESS, sp.FIFO_MESS | sp.DROP_RECV, sp.AGREED_MESS | sp.REJECT_MESS]) {
    assert.equal(await sp.SP_multicast(mbox, t, 'g', 0, 1, one), sp.ILLEGAL_SERVICE, `service 0x${t.toString(16)}`);
  }
  const groups101 = Array.from({ length: 101 }, (_, i) => `g${i}`);
  assert.equal(await sp.SP_multigroup_multicast(mbox, sp.SAFE_MESS, 101, groups101, 0, 1, one), sp.MESSAGE_TOO_LONG);
  const tooBig = Buffer.alloc(143152 - 32 + 1);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS, 'g', 0, tooBig.length, tooBig), sp.MESSAGE_TOO_LONG);
  assert.equal(await sp.SP_scat_multicast(mbox, sp.SAFE_MESS, 'g', 0, [tooBig.subarray(1), Buffer.alloc(1)]), sp.MESSAGE_TOO_LONG);
  const groups10 = Array.from({ length: 10 }, (_, i) => `g${i}`);
  assert.equal(await sp.SP_multigroup_multicast(mbox, sp.SAFE_MESS, 10, groups10, 0, 143152 - 320 + 1, Buffer.alloc(143152 - 320 + 1)), sp.MESSAGE_TOO_LONG);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS, 'x'.repeat(32), 0, 1, one), sp.ILLEGAL_GROUP);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS, '', 0, 1, one), sp.ILLEGAL_GROUP);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS, 'g', 0, 2, one), sp.ILLEGAL_MESSAGE, 'mess_len beyond the buffer');
  assert.equal(await sp.SP_multigroup_multicast(mbox, sp.SAFE_MESS, 2, ['g'], 0, 1, one), sp.ILLEGAL_GROUP, 'fewer names than num_groups');

  // Nothing reached the daemon; now the largest legal message and a 31-character name do.
  const largest = Buffer.alloc(143152 - 32, 7);
  assert.equal(await sp.SP_multicast(mbox, sp.SAFE_MESS | sp.SELF_DISCARD, 'g', 0, largest.length, largest), largest.length);
  assert.equal(await sp.SP_join(mbox, 'x'.repeat(31)), 0);
  const first = await session.nextFrame();
  assert.ok(first !== null);
  assert.equal(first.header.type, sp.SAFE_MESS | sp.SELF_DISCARD);
  assert.equal(first.header.dataLen, largest.length);
  assert.equal(first.header.numGroups, 1);
  const second = await session.nextFrame();
  assert.equal(second?.header.type, sp.JOIN_MESS);
  assert.equal(Buffer.concat(session.afterHandshake).length, first.bytes.length + second!.bytes.length);
  sp.SP_kill(mbox);
});

test('unknown mailboxes and bad timeouts', async () => {
  const r = sp.newReceiveParams();
  const buf = Buffer.alloc(10);
  assert.equal(await sp.SP_join(99999, 'g'), sp.ILLEGAL_SESSION);
  assert.equal(await sp.SP_leave(99999, 'g'), sp.ILLEGAL_SESSION);
  assert.equal(await sp.SP_multicast(99999, sp.SAFE_MESS, 'g', 0, 1, buf), sp.ILLEGAL_SESSION);
  assert.equal(await sp.SP_receive(99999, r, 10, buf), sp.ILLEGAL_SESSION);
  assert.equal(sp.SP_poll(99999), sp.ILLEGAL_SESSION);
  assert.equal(sp.SP_message_waiting(99999), sp.ILLEGAL_SESSION);
  assert.equal(await sp.SP_disconnect(99999), sp.ILLEGAL_SESSION);
  const out = { mbox: 0, privateGroup: '' };
  assert.equal(await sp.SP_connect_timeout('4803@127.0.0.1', 'a', 0, 1, out, { sec: -1, usec: 0 }), sp.ILLEGAL_TIME);
  assert.equal(await sp.SP_connect_timeout('4803@127.0.0.1', 'a', 0, 1, out, { sec: 0, usec: -5 }), sp.ILLEGAL_TIME);
});

test('a send after the daemon went away: CONNECTION_CLOSED once, then NET_ERROR_ON_SESSION', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const out = { mbox: 0, privateGroup: '' };
  assert.equal(await sp.SP_connect(d.spreadName, 'alice', 0, 1, out), sp.ACCEPT_SESSION);
  (await d.nextSession()).destroy();
  assert.equal(await sp.SP_wait_message(out.mbox), 1);
  assert.equal(await sp.SP_join(out.mbox, 'g'), sp.CONNECTION_CLOSED);
  assert.equal(await sp.SP_multicast(out.mbox, sp.SAFE_MESS, 'g', 0, 1, Buffer.from('x')), sp.NET_ERROR_ON_SESSION);
  const r = sp.newReceiveParams();
  assert.equal(await sp.SP_receive(out.mbox, r, 10, Buffer.alloc(10)), sp.NET_ERROR_ON_SESSION);
  assert.equal(await sp.SP_disconnect(out.mbox), 0);
});

test('SP_error texts and group id comparison', () => {
  assert.equal(sp.SP_error(sp.CONNECTION_CLOSED), 'SP_error: (-8) Connection closed by spread');
  assert.equal(sp.SP_error(sp.REJECT_NOT_UNIQUE), 'SP_error: (-6) Connection rejected, name not unique');
  assert.equal(sp.SP_error(-100), 'SP_error: (-100) unrecognized error');
  assert.equal(sp.SP_equal_group_ids({ id: [1, 2, 3] }, { id: [1, 2, 3] }), 1);
  assert.equal(sp.SP_equal_group_ids({ id: [1, 2, 3] }, { id: [1, 2, 4] }), 0);
  assert.equal(sp.SP_get_memb_info(Buffer.alloc(56), sp.AGREED_MESS, sp.newMembershipInfo()), sp.ILLEGAL_MESSAGE);
});
