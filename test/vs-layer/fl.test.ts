// The FL_* API (Flush's C names and codes) against a real daemon: the flush handshake as a C
// program drives it, blocking after FL_flush, receive flags and short buffers, subgroup casts,
// the membership body layout, leave and disconnect.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningDaemon } from '../../daemon/index.ts';
import {
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  AGREED_MESS,
  FIFO_MESS,
  REG_MEMB_MESS,
  BUFFER_TOO_SHORT,
  ILLEGAL_SESSION,
  ILLEGAL_SERVICE,
  ILLEGAL_GROUP,
  DROP_RECV,
  ACCEPT_SESSION,
} from '../../client/wire/constants.ts';
import type { SpConnectOutputs } from '../../client/sp.ts';
import {
  DONT_BLOCK,
  FLUSH_REQ_MESS,
  FL_connect,
  FL_disconnect,
  FL_error,
  FL_flush,
  FL_get_gid_offset_memb_mess,
  FL_get_num_vs_offset_memb_mess,
  FL_get_vs_set_offset_memb_mess,
  FL_join,
  FL_leave,
  FL_lib_init,
  FL_more_msgs,
  FL_multicast,
  FL_poll,
  FL_receive,
  FL_scat_multicast,
  FL_subgroupcast,
  FL_unicast,
  FL_version,
  ILLEGAL_MESSAGE_TYPE,
  ILLEGAL_RECEIVERS,
  ILLEGAL_STATE,
  SUBGROUP_CAST,
  WOULD_BLOCK,
  newFlReceiveParams,
  type FlMailbox,
} from '../../vs-layer/fl.ts';
import { daemon } from './helpers.ts';

let d: RunningDaemon;
before(async () => {
  d = await daemon('vsf1');
});
after(async () => {
  await d?.stop();
});

const buf = new Uint8Array(4096);
const newConnectOutputs = (): SpConnectOutputs => ({ mbox: 0, privateGroup: '' });
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Got {
  ret: number;
  service: number;
  sender: string;
  groups: string[];
  messType: number;
  body: Uint8Array;
}

async function recv(mbox: FlMailbox, flags = 0): Promise<Got> {
  const p = newFlReceiveParams(100);
  p.serviceType = flags;
  const ret = await FL_receive(mbox, p, buf.length, buf);
  return { ret, service: p.serviceType, sender: p.sender, groups: [...p.groups], messType: p.messType, body: buf.slice(0, Math.max(0, ret)) };
}

/** Receives until an event with one of the service bits arrives (data of others is skipped). */
async function recvUntil(mbox: FlMailbox, bits: number): Promise<Got> {
  for (;;) {
    const g = await recv(mbox);
    if (g.ret < 0 && g.ret !== BUFFER_TOO_SHORT) return g;
    if ((g.service & bits) !== 0) return g;
  }
}

async function flConnect(name: string): Promise<{ mbox: FlMailbox; privateGroup: string }> {
  const out = newConnectOutputs();
  assert.equal(await FL_connect(`${d.tcpPort}@127.0.0.1`, name, 0, out), ACCEPT_SESSION);
  return out;
}

test('library calls: init once, version 2.0.0, error texts', () => {
  assert.equal(FL_lib_init(), 0);
  assert.equal(FL_lib_init(), ILLEGAL_STATE);
  assert.deepEqual(FL_version(), { major: 2, minor: 0, patch: 0 });
  assert.match(FL_error(ILLEGAL_STATE), /^FL_error: \(-27\) /);
  assert.match(FL_error(-8), /Connection closed by spread/);
  assert.deepEqual([FL_get_gid_offset_memb_mess(), FL_get_num_vs_offset_memb_mess(), FL_get_vs_set_offset_memb_mess()], [0, 12, 16]);
});

test('the flush handshake as a C program drives it', async () => {
  const a = await flConnect('fl-a');
  const b = await flConnect('fl-b');
  assert.equal(await FL_join(a.mbox, 'flg'), 0);
  assert.equal(await FL_join(a.mbox, 'flg'), ILLEGAL_GROUP, 'already joined');
  const v1 = await recv(a.mbox);
  assert.equal(v1.service, REG_MEMB_MESS | CAUSED_BY_JOIN);
  assert.equal(v1.sender, 'flg');
  assert.deepEqual(v1.groups, [a.privateGroup]);
  assert.equal(v1.messType, 0, 'my index');
  // Body: group id, number of names, the names (here: the joiner).
  const body = Buffer.from(v1.body);
  assert.equal(body.readUInt32LE(FL_get_num_vs_offset_memb_mess()), 1);
  assert.equal(body.toString('latin1', 16, 16 + a.privateGroup.length), a.privateGroup);
  assert.equal(v1.ret, 16 + 32);
  assert.equal((await recv(a.mbox, DONT_BLOCK)).ret, WOULD_BLOCK);

  assert.equal(await FL_join(b.mbox, 'flg'), 0);
  const req = await recv(a.mbox);
  assert.equal(req.service, FLUSH_REQ_MESS);
  assert.equal(req.sender, 'flg');
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'flg', 3, 5, enc('early')), 5, 'may send before flushing');
  assert.equal(await FL_flush(a.mbox, 'flg'), 0);
  assert.equal(await FL_flush(a.mbox, 'flg'), ILLEGAL_STATE, 'once per request');
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'flg', 3, 4, enc('late')), ILLEGAL_STATE, 'no sends after flushing');
  const early = await recv(a.mbox);
  assert.equal(early.service, AGREED_MESS);
  assert.equal(new TextDecoder().decode(early.body), 'early');
  assert.equal(early.messType, 3);
  assert.deepEqual(early.groups, ['flg']);
  const v2 = await recvUntil(a.mbox, REG_MEMB_MESS);
  assert.equal(v2.service, REG_MEMB_MESS | CAUSED_BY_JOIN);
  assert.deepEqual(v2.groups.sort(), [a.privateGroup, b.privateGroup].sort());
  const vb = await recvUntil(b.mbox, REG_MEMB_MESS);
  assert.deepEqual(vb.body.subarray(0, 12), v2.body.subarray(0, 12), 'same group id at both members');
  assert.equal(vb.messType, vb.groups.indexOf(b.privateGroup));

  // Sending in the new view; scatter; short buffers; DROP_RECV.
  assert.equal(await FL_scat_multicast(a.mbox, FIFO_MESS, 'flg', 9, [enc('sc'), enc('at')]), 4);
  const m = await recvUntil(b.mbox, FIFO_MESS);
  assert.equal(new TextDecoder().decode(m.body), 'scat');
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'flg', 1, 10, enc('0123456789')), 10);
  const p = newFlReceiveParams(100);
  assert.equal(await FL_receive(b.mbox, p, 4, buf), BUFFER_TOO_SHORT);
  assert.equal(p.endianMismatch, -10);
  assert.ok(FL_more_msgs(b.mbox) >= 1);
  assert.ok(FL_poll(b.mbox) > 0);
  assert.equal(await FL_receive(b.mbox, p, 100, buf), 10, 'the message stayed for the next call');
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'flg', 1, 10, enc('0123456789')), 10);
  const q = newFlReceiveParams(100);
  q.serviceType = DROP_RECV;
  assert.equal(await FL_receive(b.mbox, q, 4, buf), BUFFER_TOO_SHORT);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 4)), '0123', 'truncated');

  // Refusals with Flush's codes.
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'flg', -32766, 1, enc('x')), ILLEGAL_MESSAGE_TYPE);
  assert.equal(await FL_multicast(a.mbox, FLUSH_REQ_MESS, 'flg', 0, 1, enc('x')), ILLEGAL_SERVICE);
  assert.equal(await FL_unicast(a.mbox, AGREED_MESS, 'flg', '#zz#vsf1', 0, 1, enc('x')), ILLEGAL_RECEIVERS);
  assert.equal(await FL_multicast(a.mbox, AGREED_MESS, 'nogroup', 0, 1, enc('x')), ILLEGAL_GROUP);

  // Subgroup casts carry SUBGROUP_CAST and list the receivers, then the group.
  assert.equal(await FL_subgroupcast(a.mbox, AGREED_MESS, 'flg', 1, [b.privateGroup], 4, 3, enc('sub')), 3);
  const sub = await recvUntil(b.mbox, SUBGROUP_CAST);
  assert.equal(sub.service, AGREED_MESS | SUBGROUP_CAST);
  assert.deepEqual(sub.groups, [b.privateGroup, 'flg']);
  assert.equal(sub.sender, a.privateGroup);

  // Leave: b gets its self-leave; a is asked to flush and sees b go.
  assert.equal(await FL_leave(b.mbox, 'flg'), 0);
  assert.equal(await FL_leave(b.mbox, 'flg'), ILLEGAL_STATE);
  const self = await recvUntil(b.mbox, CAUSED_BY_LEAVE);
  assert.equal(self.service, CAUSED_BY_LEAVE);
  assert.equal(self.sender, 'flg');
  const req2 = await recvUntil(a.mbox, FLUSH_REQ_MESS);
  assert.equal(req2.sender, 'flg');
  assert.equal(await FL_flush(a.mbox, 'flg'), 0);
  const v3 = await recvUntil(a.mbox, REG_MEMB_MESS);
  assert.equal(v3.service, REG_MEMB_MESS | CAUSED_BY_LEAVE);
  assert.deepEqual(v3.groups, [a.privateGroup]);

  assert.equal(await FL_disconnect(b.mbox), 0);
  assert.equal(await FL_disconnect(b.mbox), ILLEGAL_SESSION);
  assert.equal((await recv(b.mbox)).ret, ILLEGAL_SESSION);
  assert.equal(await FL_disconnect(a.mbox), 0);
});
