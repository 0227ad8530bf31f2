// Golden bytes: the client replays the worked example of spec section 9 against a peer that
// sends the spec's D>C dumps verbatim and compares every C>D byte with the spec's dumps (read
// from the spec file, never retyped).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as sp from '../../client/sp.ts';
import { SpreadConnection, SpreadMessage } from '../../client/index.ts';
import { stepDump } from '../support/spec-dumps.ts';
import { startReplay, type ReplayStep } from './helpers/replay.ts';

const S = (n: number): Buffer => stepDump(n);

function aliceSteps(): ReplayStep[] {
  return [
    { label: 'Step 1 (connect request, alone)', expect: S(1), thenQuietMs: 40 },
    { label: 'Step 2', send: S(2) },
    { label: 'Step 3 (auth choice, alone)', expect: S(3), thenQuietMs: 40 },
    { label: 'Step 4', send: S(4) },
    { label: 'Step 5 (JOIN)', expect: S(5) },
    { label: 'Step 6', send: S(6) },
    { label: 'Step 7 (AGREED multicast)', expect: S(7) },
    { label: 'Step 8', send: S(8) },
    { label: 'Step 10', send: S(10) },
    { label: 'Step 14', send: S(14) },
    { label: 'Step 15 (KILL)', expect: S(15) },
    { label: 'end of stream after KILL', expectEnd: true },
  ];
}

/** bob's handshake is "the same as steps 1 to 4" with his name: derived from the spec's bytes. */
function bobSteps(): ReplayStep[] {
  const connect = Buffer.concat([S(1).subarray(0, 4), Buffer.from([3]), Buffer.from('bob')]);
  const accept = Buffer.concat([S(4).subarray(0, 4), Buffer.from([8]), Buffer.from('#bob#sp1')]);
  return [
    { label: 'bob connect request', expect: connect },
    { label: 'Step 2', send: S(2) },
    { label: 'Step 3', expect: S(3) },
    { label: 'bob accept', send: accept },
    { label: 'Step 9 (JOIN)', expect: S(9) },
    { label: 'Step 11', send: S(11) },
    { label: 'Step 12 (LEAVE)', expect: S(12) },
    { label: 'Step 13', send: S(13) },
  ];
}

describe('spec section 9 replay, C-style API', () => {
  test('alice: handshake, join, multicast, receive and disconnect match byte for byte', async () => {
    const peer = await startReplay(aliceSteps());
    try {
      const out = { mbox: 0, privateGroup: '' };
      assert.equal(await sp.SP_connect(`${peer.port}@127.0.0.1`, 'alice', 0, 1, out), sp.ACCEPT_SESSION);
      assert.equal(out.privateGroup, '#alice#sp1');
      assert.equal(await sp.SP_join(out.mbox, 'chat'), 0);

      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(1000);
      // Step 6: alice's own join.
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 56);
      assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_JOIN);
      assert.equal(r.sender, 'chat');
      assert.deepEqual(r.groups, ['#alice#sp1']);
      assert.equal(r.numGroups, 1);
      assert.equal(r.messType, 0);
      assert.equal(r.endianMismatch, 0);
      const info = sp.newMembershipInfo();
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.deepEqual(info.gid.id, [0xfd8f8d45 | 0, 0x6b0e3c5a, 1]);
      assert.equal(info.changedMember, '#alice#sp1');
      assert.equal(info.numVsSets, 1);
      assert.deepEqual(info.myVsSet, { numMembers: 1, membersOffset: 24 });

      assert.equal(await sp.SP_multicast(out.mbox, sp.AGREED_MESS, 'chat', 0x0102, 5, Buffer.from('hello')), 5);
      // Step 8: her own message back.
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 5);
      assert.equal(r.serviceType, sp.AGREED_MESS);
      assert.equal(r.sender, '#alice#sp1');
      assert.deepEqual(r.groups, ['chat']);
      assert.equal(r.messType, 258);
      assert.equal(r.endianMismatch, 0);
      assert.equal(buf.subarray(0, 5).toString(), 'hello');
      // Step 10: bob joined; alice is member 0 of 2.
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 56);
      assert.deepEqual(r.groups, ['#alice#sp1', '#bob#sp1']);
      assert.equal(r.messType, 0);
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.equal(info.changedMember, '#bob#sp1');
      assert.equal(info.gid.id[2], 2);
      // Step 14: bob left.
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 56);
      assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_LEAVE);
      assert.deepEqual(r.groups, ['#alice#sp1']);
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.equal(info.changedMember, '#bob#sp1');
      assert.equal(info.gid.id[2], 3);

      assert.equal(await sp.SP_disconnect(out.mbox), 0);
      assert.deepEqual((await peer.result()).problems, []);
    } finally {
      await peer.close();
    }
  });

  test('bob: join, his index as mess_type, leave and the self-leave notice', async () => {
    const peer = await startReplay(bobSteps());
    try {
      const out = { mbox: 0, privateGroup: '' };
      assert.equal(await sp.SP_connect(`${peer.port}@127.0.0.1`, 'bob', 0, 1, out), sp.ACCEPT_SESSION);
      assert.equal(out.privateGroup, '#bob#sp1');
      assert.equal(await sp.SP_join(out.mbox, 'chat'), 0);
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(1000);
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 56);
      assert.equal(r.messType, 1);
      assert.equal(await sp.SP_leave(out.mbox, 'chat'), 0);
      assert.equal(await sp.SP_receive(out.mbox, r, buf.length, buf), 0);
      assert.equal(r.serviceType, sp.CAUSED_BY_LEAVE);
      assert.equal(r.sender, 'chat');
      assert.equal(r.numGroups, 0);
      assert.equal(r.messType, -1);
      assert.ok(sp.Is_self_leave(r.serviceType));
      assert.deepEqual((await peer.result()).problems, []);
      sp.SP_kill(out.mbox);
    } finally {
      await peer.close();
    }
  });
});

describe('spec section 9 replay, class API', () => {
  test('alice through SpreadConnection sends the same bytes', async () => {
    const peer = await startReplay(aliceSteps());
    try {
      const conn = await SpreadConnection.connect({ spread: `${peer.port}@127.0.0.1`, privateName: 'alice' });
      assert.equal(conn.privateGroup.name, '#alice#sp1');
      const chat = await conn.join('chat');
      const m6 = await conn.receive();
      assert.ok(m6.isMembership());
      const info = m6.getMembershipInfo();
      assert.ok(info.isCausedByJoin());
      assert.equal(info.getGroup().name, 'chat');
      assert.equal(info.getGroupID()?.toString(), `${0xfd8f8d45 | 0} ${0x6b0e3c5a} 1`);
      assert.equal(info.getJoined()?.name, '#alice#sp1');
      assert.equal(m6.type, 0);

      await conn.multicast(new SpreadMessage({ service: 'agreed', groups: [chat], data: 'hello', type: 0x0102 }));
      const m8 = await conn.receive();
      assert.ok(m8.isRegular() && m8.isAgreed());
      assert.equal(m8.text, 'hello');
      assert.equal(m8.type, 258);
      assert.equal(m8.endianMismatch, false);
      assert.equal(m8.sender?.name, '#alice#sp1');
      assert.deepEqual(m8.groupNames, ['chat']);

      const m10 = await conn.receive();
      assert.deepEqual(m10.getMembershipInfo().getMembers().map(String), ['#alice#sp1', '#bob#sp1']);
      const m14 = await conn.receive();
      assert.equal(m14.getMembershipInfo().getLeft()?.name, '#bob#sp1');
      await conn.close();
      assert.equal(await conn.closed, undefined);
      assert.deepEqual((await peer.result()).problems, []);
    } finally {
      await peer.close();
    }
  });
});
