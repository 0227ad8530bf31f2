// Parsing what a daemon sends (spec 5 and 8.4): the worked example's D>C dumps and the other
// kinds (transitional, network membership with two vs sets, reject, Java's big-endian data),
// each from a little-endian and from a big-endian daemon, through both APIs.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as sp from '../../client/sp.ts';
import { SpreadConnection } from '../../client/index.ts';
import { encodeMessageHead } from '../../client/wire/message.ts';
import { encodeTransitionMessage } from '../../client/wire/membership.ts';
import { startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.ts';
import { bigEndianDaemonCopy } from './helpers/frames.ts';
import { javaDump, networkMembershipBody, stepDump } from '../support/spec-dumps.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

/** Connects through a fake daemon that sends `frames` right behind the accept reply. */
async function mailboxWith(frames: Buffer[], name: string, daemonName = 'sp1'): Promise<number> {
  const d = await startFakeDaemon({ afterAccept: Buffer.concat(frames), daemonName });
  daemons.push(d);
  const out = { mbox: 0, privateGroup: '' };
  assert.equal(await sp.SP_connect(d.spreadName, name, 0, 1, out), sp.ACCEPT_SESSION);
  return out.mbox;
}

async function connectionWith(frames: Buffer[], name: string, daemonName = 'sp1'): Promise<SpreadConnection> {
  const d = await startFakeDaemon({ afterAccept: Buffer.concat(frames), daemonName });
  daemons.push(d);
  return SpreadConnection.connect({ spread: d.spreadName, privateName: name });
}

const orders = [
  { label: 'little-endian daemon', conv: (b: Buffer): Buffer => b },
  { label: 'big-endian daemon', conv: bigEndianDaemonCopy },
];

const GID_SP1 = [0xfd8f8d45 | 0, 0x6b0e3c5a];

/** The network membership of spec section 9 (copy received by c2): header built, body from the spec. */
function networkFrame(): Buffer {
  const body = networkMembershipBody();
  const head = encodeMessageHead(sp.REG_MEMB_MESS | sp.CAUSED_BY_NETWORK, 'G', ['#a1#n1', '#b1#n1', '#c2#n2'], 0, body.length);
  return Buffer.concat([head, body]);
}

/** A reject of alice's AGREED "hello" to chat (spec 5.7 layout), built by hand. */
function rejectFrame(hint: Buffer, oldType = sp.AGREED_MESS): Buffer {
  const f = Buffer.alloc(48 + 4 + 64 + 5);
  f.writeUInt32LE((sp.REJECT_MESS | 0x80000080) >>> 0, 0);
  f.write('#alice#sp1', 4, 'latin1');
  f.writeInt32LE(2, 36);
  hint.copy(f, 40);
  f.writeInt32LE(5, 44);
  f.writeUInt32LE((oldType | 0x80000080) >>> 0, 48);
  f.write('chat', 52, 'latin1');
  f.write('#alice#sp1', 84, 'latin1');
  f.write('hello', 116, 'latin1');
  return f;
}

/** Java's multicast as a little-endian daemon delivers it: header converted, hint untouched (spec 9). */
function javaAsDelivered(): Buffer {
  const j = Buffer.from(javaDump());
  const type = j.readUInt32BE(0);
  j.writeUInt32LE((type | 0x80000080) >>> 0, 0);
  j.writeInt32LE(j.readInt32BE(36), 36);
  j.writeInt32LE(j.readInt32BE(44), 44);
  return j;
}

describe('SP_receive outputs per kind (spec 8.4)', () => {
  for (const { label, conv } of orders) {
    test(`regular memberships of the worked example, ${label}`, async () => {
      const mbox = await mailboxWith([conv(stepDump(11)), conv(stepDump(14))], 'bob');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(500);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 56);
      assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_JOIN);
      assert.equal(r.sender, 'chat');
      assert.deepEqual(r.groups, ['#alice#sp1', '#bob#sp1']);
      assert.equal(r.messType, 1, 'own index in the member list');
      assert.equal(r.endianMismatch, 0);
      const info = sp.newMembershipInfo();
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.deepEqual(info.gid.id, [...GID_SP1, 2]);
      assert.equal(info.changedMember, '#bob#sp1');
      assert.equal(info.numVsSets, 1);
      assert.deepEqual(info.myVsSet, { numMembers: 1, membersOffset: 24 });
      // Step 14 was sent to alice: bob is not among the members, so his mess_type is -1.
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 56);
      assert.equal(r.messType, -1);
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.deepEqual(info.gid.id, [...GID_SP1, 3]);
      sp.SP_kill(mbox);
    });

    test(`self-leave and transitional, ${label}`, async () => {
      const gid = { procId: 0xfd8f8d45, time: 0x6b0e3c5a, index: 7 };
      const mbox = await mailboxWith([conv(stepDump(13)), conv(encodeTransitionMessage('chat', gid))], 'bob');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(100);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 0);
      assert.equal(r.serviceType, sp.CAUSED_BY_LEAVE);
      assert.equal(r.sender, 'chat');
      assert.equal(r.numGroups, 0);
      assert.equal(r.messType, -1);
      assert.equal(r.endianMismatch, 0);
      assert.ok(sp.Is_self_leave(r.serviceType) && !sp.Is_reg_memb_mess(r.serviceType));

      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 12);
      assert.equal(r.serviceType, sp.TRANSITION_MESS);
      assert.equal(r.sender, 'chat');
      assert.equal(r.messType, -1);
      const info = sp.newMembershipInfo();
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.deepEqual(info.gid.id, [...GID_SP1, 7], 'transitional group id decoded in the daemon order');
      assert.equal(info.numVsSets, 0);
      assert.deepEqual(info.myVsSet, { numMembers: 0, membersOffset: 0 });
      sp.SP_kill(mbox);
    });

    test(`network membership with two vs sets and local_vs_set_offset 68, ${label}`, async () => {
      const mbox = await mailboxWith([conv(networkFrame())], 'c2', 'n2');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(500);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 124);
      assert.equal(r.serviceType, sp.REG_MEMB_MESS | sp.CAUSED_BY_NETWORK);
      assert.equal(r.sender, 'G');
      assert.deepEqual(r.groups, ['#a1#n1', '#b1#n1', '#c2#n2']);
      assert.equal(r.messType, 2);
      const info = sp.newMembershipInfo();
      assert.equal(sp.SP_get_memb_info(buf, r.serviceType, info), 1);
      assert.deepEqual(info.gid.id, [0x4a7816e7, 0x6b0e34ee, 1]);
      assert.equal(info.changedMember, '');
      assert.equal(info.numVsSets, 2);
      assert.deepEqual(info.myVsSet, { numMembers: 1, membersOffset: 20 + 68 + 4 });
      const sets: sp.SpVsSetInfo[] = [];
      const mine = { myVsSetIndex: -1 };
      assert.equal(sp.SP_get_vs_sets_info(buf, sets, 1, mine), sp.BUFFER_TOO_SHORT);
      assert.equal(sp.SP_get_vs_sets_info(buf, sets, 10, mine), 2);
      assert.equal(mine.myVsSetIndex, 1);
      assert.deepEqual(sets, [
        { numMembers: 2, membersOffset: 24 },
        { numMembers: 1, membersOffset: 92 },
      ]);
      const members: string[] = [];
      assert.equal(sp.SP_get_vs_set_members(buf, sets[0]!, members, 1), sp.BUFFER_TOO_SHORT);
      assert.equal(sp.SP_get_vs_set_members(buf, sets[0]!, members, 10), 2);
      assert.deepEqual(members.slice(0, 2), ['#a1#n1', '#b1#n1']);
      assert.equal(sp.SP_get_vs_set_members(buf, sets[1]!, members, 10), 1);
      assert.equal(members[0], '#c2#n2');
      // The scatter variants see the same body across pieces.
      const scat = [buf.subarray(0, 50), buf.subarray(50, 124)];
      const sets2: sp.SpVsSetInfo[] = [];
      assert.equal(sp.SP_scat_get_vs_sets_info(scat, sets2, 10, mine), 2);
      assert.deepEqual(sets2, sets);
      sp.SP_kill(mbox);
    });

    test(`reject of an AGREED multicast, ${label}`, async () => {
      const mbox = await mailboxWith([conv(rejectFrame(Buffer.from([0x80, 0x02, 0x01, 0x80]))), conv(rejectFrame(Buffer.from([0x00, 0x01, 0x02, 0x00]), sp.CAUSED_BY_JOIN))], 'alice');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(100);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 5);
      assert.equal(r.serviceType, 0x00400010);
      assert.equal(r.sender, '#alice#sp1');
      assert.deepEqual(r.groups, ['chat', '#alice#sp1']);
      assert.equal(r.numGroups, 2);
      assert.equal(r.messType, 258);
      assert.equal(r.endianMismatch, 0);
      assert.equal(buf.subarray(0, 5).toString(), 'hello');
      assert.ok(sp.Is_reject_mess(r.serviceType) && !sp.Is_regular_mess(r.serviceType));
      // A refused join, with a hint written big-endian by its sender.
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 5);
      assert.equal(r.serviceType, 0x00400100);
      assert.equal(r.messType, 258);
      assert.equal(r.endianMismatch, 1);
      sp.SP_kill(mbox);
    });

    test(`Java's big-endian data message: hint passed through, endian_mismatch, ${label}`, async () => {
      const delivered = javaAsDelivered();
      // The spec's observed bytes of the header as a little-endian daemon delivered it.
      assert.deepEqual([...delivered.subarray(0, 4)], [0x90, 0x00, 0x00, 0x80]);
      assert.deepEqual([...delivered.subarray(36, 48)], [1, 0, 0, 0, 0x00, 0x01, 0x02, 0x00, 5, 0, 0, 0]);
      const mbox = await mailboxWith([conv(delivered)], 'bob');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(100);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 5);
      assert.equal(r.serviceType, sp.AGREED_MESS);
      assert.equal(r.sender, '#alice#sp1');
      assert.deepEqual(r.groups, ['chat']);
      assert.equal(r.messType, 258);
      assert.equal(r.endianMismatch, 1);
      assert.equal(buf.subarray(0, 5).toString(), 'hello');
      sp.SP_kill(mbox);
    });

    test(`little-endian sender's data message, ${label}`, async () => {
      const mbox = await mailboxWith([conv(stepDump(8))], 'bob');
      const r = sp.newReceiveParams(10);
      const buf = Buffer.alloc(100);
      assert.equal(await sp.SP_receive(mbox, r, buf.length, buf), 5);
      assert.equal(r.serviceType, sp.AGREED_MESS);
      assert.equal(r.messType, 258);
      assert.equal(r.endianMismatch, 0);
      sp.SP_kill(mbox);
    });
  }
});

describe('class API parsing', () => {
  for (const { label, conv } of orders) {
    test(`memberships, reject and Java data through SpreadMessage, ${label}`, async () => {
      const gid = { procId: 1, time: 2, index: 3 };
      const conn = await connectionWith(
        [
          conv(stepDump(11)),
          conv(networkFrame()),
          conv(encodeTransitionMessage('G', gid)),
          conv(stepDump(13)),
          conv(rejectFrame(Buffer.from([0x80, 0x02, 0x01, 0x80]))),
          conv(javaAsDelivered()),
        ],
        'c2',
        'n2',
      );
      const join = await conn.receive();
      assert.ok(join.isMembership() && !join.isRegular());
      const ji = join.getMembershipInfo();
      assert.ok(ji.isRegularMembership() && ji.isCausedByJoin() && !ji.isCausedByNetwork());
      assert.equal(ji.getJoined()?.name, '#bob#sp1');
      assert.equal(ji.getLeft(), undefined);
      assert.equal(ji.getGroupID()?.toString(), `${GID_SP1[0]} ${GID_SP1[1]} 2`);
      assert.equal(join.type, -1, 'c2 is not among the members');
      assert.equal(join.data.length, 56);

      const net = await conn.receive();
      const ni = net.getMembershipInfo();
      assert.ok(ni.isCausedByNetwork());
      assert.equal(net.type, 2);
      assert.deepEqual(ni.getMembers().map(String), ['#a1#n1', '#b1#n1', '#c2#n2']);
      assert.deepEqual(
        ni.getVirtualSynchronySets().map((s) => s.members.map(String)),
        [['#a1#n1', '#b1#n1'], ['#c2#n2']],
      );
      assert.deepEqual(ni.getMyVirtualSynchronySet()?.members.map(String), ['#c2#n2']);
      assert.deepEqual(ni.getStayed().map(String), ['#c2#n2']);
      assert.equal(ni.getJoined(), undefined);

      const trans = await conn.receive();
      const ti = trans.getMembershipInfo();
      assert.ok(ti.isTransition() && !ti.isRegularMembership());
      assert.ok(ti.getGroupID()?.equals(ji.getGroupID()) === false);
      assert.deepEqual(ti.getGroupID()?.id, [1, 2, 3]);

      const leave = await conn.receive();
      assert.ok(leave.getMembershipInfo().isSelfLeave());
      assert.equal(leave.getMembershipInfo().getGroup().name, 'chat');
      assert.equal(leave.type, -1);

      const rej = await conn.receive();
      assert.ok(rej.isReject() && !rej.isRegular() && !rej.isMembership());
      assert.equal(rej.serviceType, 0x00400010);
      assert.equal(rej.type, 258);
      assert.equal(rej.text, 'hello');
      assert.deepEqual(rej.groupNames, ['chat', '#alice#sp1']);
      assert.throws(() => rej.getMembershipInfo(), { name: 'IllegalMessageError' });

      const java = await conn.receive();
      assert.ok(java.isRegular() && java.isAgreed() && java.isIncoming());
      assert.equal(java.type, 258);
      assert.equal(java.endianMismatch, true);
      assert.equal(java.text, 'hello');
      conn.kill();
    });
  }
});
