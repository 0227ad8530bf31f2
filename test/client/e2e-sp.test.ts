// End to end, C-style API against our daemon: join/leave/disconnect memberships with their
// reasons, every service over TCP and the Unix socket, multi-group and private destinations,
// SELF_DISCARD, membership off, the largest message, rejects.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as sp from '../../client/sp.ts';
import { startRealDaemon, type TestDaemon } from './helpers/real-daemon.ts';

let d: TestDaemon;
before(async () => {
  d = await startRealDaemon();
});
after(async () => {
  await d?.stop();
});

interface Got {
  ret: number;
  p: sp.SpReceiveParams;
  data: Buffer;
}

const RECV_TIMEOUT_MS = 10_000;

async function recv(mbox: number, size = 200_000): Promise<Got> {
  const p = sp.newReceiveParams(100);
  const buf = Buffer.alloc(size);
  let timer: NodeJS.Timeout | undefined;
  const ret = await Promise.race([
    sp.SP_receive(mbox, p, buf.length, buf),
    new Promise<number>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no message on mailbox ${mbox} within ${RECV_TIMEOUT_MS} ms`)), RECV_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  return { ret, p, data: buf.subarray(0, Math.max(0, ret)) };
}

async function connect(name: string, via: 'tcp' | 'unix', membership = 1): Promise<number> {
  const out = { mbox: 0, privateGroup: '' };
  const ret = await sp.SP_connect(via === 'tcp' ? d.tcpName : { path: d.unixPath }, name, 0, membership, out);
  assert.equal(ret, sp.ACCEPT_SESSION, `connect ${name}: ${sp.SP_error(ret)}`);
  assert.equal(out.privateGroup, `#${name}#sp1`);
  return out.mbox;
}

/** Receives a regular membership and checks cause, group, members, own index and changed member. */
async function expectMembership(mbox: number, cause: number, group: string, members: string[], me: string, changed: string): Promise<sp.SpGroupId> {
  const g = await recv(mbox);
  assert.equal(g.p.serviceType, sp.REG_MEMB_MESS | cause, `membership type 0x${g.p.serviceType.toString(16)} on ${me}`);
  assert.equal(g.p.sender, group);
  assert.deepEqual(g.p.groups, members);
  assert.equal(g.p.messType, members.indexOf(me));
  assert.equal(g.ret, 56);
  const info = sp.newMembershipInfo();
  assert.equal(sp.SP_get_memb_info(g.data, g.p.serviceType, info), 1);
  assert.equal(info.changedMember, changed);
  assert.equal(info.numVsSets, 1);
  assert.equal(info.myVsSet.numMembers, 1);
  return info.gid;
}

async function expectData(mbox: number, service: number, sender: string, groups: string[], messType: number, body: Buffer): Promise<void> {
  const g = await recv(mbox);
  assert.equal(g.p.serviceType, service, `service 0x${g.p.serviceType.toString(16)}`);
  assert.equal(g.p.sender, sender);
  assert.deepEqual(g.p.groups, groups);
  assert.equal(g.p.messType, messType);
  assert.equal(g.p.endianMismatch, 0);
  assert.equal(g.ret, body.length);
  assert.ok(g.data.equals(body), 'body');
}

describe('memberships', () => {
  test('join, leave, disconnect and kill give the right reasons, members, indexes and group ids', async () => {
    const alice = await connect('alice', 'tcp');
    const bob = await connect('bob', 'unix');
    assert.equal(await sp.SP_join(alice, 'G'), 0);
    const g1 = await expectMembership(alice, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1'], '#alice#sp1', '#alice#sp1');
    assert.equal(await sp.SP_join(bob, 'G'), 0);
    const g2a = await expectMembership(alice, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#bob#sp1'], '#alice#sp1', '#bob#sp1');
    const g2b = await expectMembership(bob, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#bob#sp1'], '#bob#sp1', '#bob#sp1');
    assert.equal(sp.SP_equal_group_ids(g2a, g2b), 1, 'same view, same id at every member');
    assert.equal(sp.SP_equal_group_ids(g1, g2a), 0);

    assert.equal(await sp.SP_leave(bob, 'G'), 0);
    const self = await recv(bob);
    assert.equal(self.ret, 0);
    assert.equal(self.p.serviceType, sp.CAUSED_BY_LEAVE);
    assert.equal(self.p.sender, 'G');
    assert.equal(self.p.messType, -1);
    assert.equal(self.p.numGroups, 0);
    await expectMembership(alice, sp.CAUSED_BY_LEAVE, 'G', ['#alice#sp1'], '#alice#sp1', '#bob#sp1');

    assert.equal(await sp.SP_join(bob, 'G'), 0);
    await expectMembership(alice, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#bob#sp1'], '#alice#sp1', '#bob#sp1');
    await expectMembership(bob, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#bob#sp1'], '#bob#sp1', '#bob#sp1');
    assert.equal(await sp.SP_disconnect(bob), 0);
    await expectMembership(alice, sp.CAUSED_BY_DISCONNECT, 'G', ['#alice#sp1'], '#alice#sp1', '#bob#sp1');

    const carol = await connect('carol', 'tcp');
    assert.equal(await sp.SP_join(carol, 'G'), 0);
    await expectMembership(alice, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#carol#sp1'], '#alice#sp1', '#carol#sp1');
    await expectMembership(carol, sp.CAUSED_BY_JOIN, 'G', ['#alice#sp1', '#carol#sp1'], '#carol#sp1', '#carol#sp1');
    sp.SP_kill(carol);
    await expectMembership(alice, sp.CAUSED_BY_DISCONNECT, 'G', ['#alice#sp1'], '#alice#sp1', '#carol#sp1');
    // Leaving a group one is not in, or joining twice, produces nothing: the next message is data.
    assert.equal(await sp.SP_leave(alice, 'nothere'), 0);
    assert.equal(await sp.SP_join(alice, 'G'), 0);
    assert.equal(await sp.SP_multicast(alice, sp.FIFO_MESS, 'G', 9, 2, Buffer.from('ok')), 2);
    await expectData(alice, sp.FIFO_MESS, '#alice#sp1', ['G'], 9, Buffer.from('ok'));
    await sp.SP_disconnect(alice);
  });

  test('a session without membership messages gets data only, and is still a member', async () => {
    const erin = await connect('erin', 'unix');
    const dave = await connect('dave', 'tcp', 0);
    assert.equal(await sp.SP_join(erin, 'M'), 0);
    await expectMembership(erin, sp.CAUSED_BY_JOIN, 'M', ['#erin#sp1'], '#erin#sp1', '#erin#sp1');
    assert.equal(await sp.SP_join(dave, 'M'), 0);
    await expectMembership(erin, sp.CAUSED_BY_JOIN, 'M', ['#dave#sp1', '#erin#sp1'], '#erin#sp1', '#dave#sp1');
    assert.equal(await sp.SP_multicast(erin, sp.AGREED_MESS, 'M', 1, 3, Buffer.from('abc')), 3);
    await expectData(dave, sp.AGREED_MESS, '#erin#sp1', ['M'], 1, Buffer.from('abc'));
    await expectData(erin, sp.AGREED_MESS, '#erin#sp1', ['M'], 1, Buffer.from('abc'));
    await sp.SP_disconnect(dave);
    await sp.SP_disconnect(erin);
  });

  test('a second session with the same private name is refused with REJECT_NOT_UNIQUE', async () => {
    const one = await connect('uniq', 'tcp');
    const out = { mbox: 0, privateGroup: '' };
    assert.equal(await sp.SP_connect(d.tcpName, 'uniq', 0, 1, out), sp.REJECT_NOT_UNIQUE);
    assert.equal(await sp.SP_connect({ path: d.unixPath }, 'uniq', 0, 1, out), sp.REJECT_NOT_UNIQUE);
    await sp.SP_disconnect(one);
  });
});

describe('data', () => {
  test('every service, both ways, over TCP and the Unix socket', async () => {
    const t = await connect('tcpuser', 'tcp');
    const u = await connect('unixuser', 'unix', 0);
    assert.equal(await sp.SP_join(t, 'S'), 0);
    await expectMembership(t, sp.CAUSED_BY_JOIN, 'S', ['#tcpuser#sp1'], '#tcpuser#sp1', '#tcpuser#sp1');
    assert.equal(await sp.SP_join(u, 'S'), 0);
    await expectMembership(t, sp.CAUSED_BY_JOIN, 'S', ['#tcpuser#sp1', '#unixuser#sp1'], '#tcpuser#sp1', '#unixuser#sp1');
    const services = [sp.UNRELIABLE_MESS, sp.RELIABLE_MESS, sp.FIFO_MESS, sp.CAUSAL_MESS, sp.AGREED_MESS, sp.SAFE_MESS];
    for (const [i, service] of services.entries()) {
      for (const [from, fromName] of [
        [t, '#tcpuser#sp1'],
        [u, '#unixuser#sp1'],
      ] as const) {
        const body = Buffer.from(`${service}-${fromName}-${'x'.repeat(i * 100)}`);
        assert.equal(await sp.SP_multicast(from, service, 'S', 0x100 + i, body.length, body), body.length);
        await expectData(t, service, fromName, ['S'], 0x100 + i, body);
        await expectData(u, service, fromName, ['S'], 0x100 + i, body);
      }
    }
    // A scatter arrives as one body; mess_type is signed 16-bit.
    assert.equal(await sp.SP_scat_multicast(u, sp.SAFE_MESS, 'S', -1, [Buffer.from('ab'), Buffer.from('cd')]), 4);
    await expectData(t, sp.SAFE_MESS, '#unixuser#sp1', ['S'], -1, Buffer.from('abcd'));
    await expectData(u, sp.SAFE_MESS, '#unixuser#sp1', ['S'], -1, Buffer.from('abcd'));
    await sp.SP_disconnect(u);
    await sp.SP_disconnect(t);
  });

  test('several groups and private groups as destinations; one copy per session', async () => {
    const a = await connect('ma', 'tcp', 0);
    const b = await connect('mb', 'unix', 0);
    const c = await connect('mc', 'tcp', 0);
    assert.equal(await sp.SP_join(a, 'G1'), 0);
    assert.equal(await sp.SP_join(a, 'G2'), 0);
    assert.equal(await sp.SP_join(b, 'G2'), 0);
    // c is in neither group; a is in both listed groups and gets one copy.
    const body = Buffer.from('to both');
    assert.equal(await sp.SP_multigroup_multicast(c, sp.AGREED_MESS, 3, ['G1', 'G2', 'nobody'], 4, body.length, body), body.length);
    await expectData(a, sp.AGREED_MESS, '#mc#sp1', ['G1', 'G2', 'nobody'], 4, body);
    await expectData(b, sp.AGREED_MESS, '#mc#sp1', ['G1', 'G2', 'nobody'], 4, body);
    // Point to point through the private group name.
    assert.equal(await sp.SP_multicast(c, sp.FIFO_MESS, '#mb#sp1', 5, 2, Buffer.from('pm')), 2);
    await expectData(b, sp.FIFO_MESS, '#mc#sp1', ['#mb#sp1'], 5, Buffer.from('pm'));
    assert.equal(await sp.SP_multigroup_multicast(c, sp.FIFO_MESS, 2, ['#ma#sp1', 'G1'], 6, 2, Buffer.from('pa')), 2);
    await expectData(a, sp.FIFO_MESS, '#mc#sp1', ['#ma#sp1', 'G1'], 6, Buffer.from('pa'));
    // Nothing else is waiting for anyone.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sp.SP_poll(a), 0);
    assert.equal(sp.SP_poll(b), 0);
    assert.equal(sp.SP_poll(c), 0);
    for (const m of [a, b, c]) await sp.SP_disconnect(m);
  });

  test('SELF_DISCARD: the sender gets no copy, the others see the bit', async () => {
    const a = await connect('sda', 'tcp', 0);
    const b = await connect('sdb', 'unix', 0);
    assert.equal(await sp.SP_join(a, 'SD'), 0);
    assert.equal(await sp.SP_join(b, 'SD'), 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await sp.SP_multicast(a, sp.SAFE_MESS | sp.SELF_DISCARD, 'SD', 1, 4, Buffer.from('gone')), 4);
    assert.equal(await sp.SP_multicast(a, sp.SAFE_MESS, 'SD', 2, 4, Buffer.from('kept')), 4);
    await expectData(b, sp.SAFE_MESS | sp.SELF_DISCARD, '#sda#sp1', ['SD'], 1, Buffer.from('gone'));
    await expectData(b, sp.SAFE_MESS, '#sda#sp1', ['SD'], 2, Buffer.from('kept'));
    await expectData(a, sp.SAFE_MESS, '#sda#sp1', ['SD'], 2, Buffer.from('kept'));
    await sp.SP_disconnect(a);
    await sp.SP_disconnect(b);
  });

  test('the largest message our client sends, over both transports, and short-buffer retries on it', async () => {
    const a = await connect('biga', 'tcp', 0);
    const b = await connect('bigb', 'unix', 0);
    assert.equal(await sp.SP_join(a, 'B'), 0);
    assert.equal(await sp.SP_join(b, 'B'), 0);
    await new Promise((r) => setTimeout(r, 50));
    const body = Buffer.alloc(143152 - 32);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    assert.equal(await sp.SP_multicast(a, sp.RELIABLE_MESS, 'B', 3, body.length, body), body.length);
    assert.equal(await sp.SP_multicast(b, sp.RELIABLE_MESS, 'B', 4, body.length, body), body.length);
    await expectData(a, sp.RELIABLE_MESS, '#biga#sp1', ['B'], 3, body);
    const p = sp.newReceiveParams(10);
    const small = Buffer.alloc(1000);
    assert.equal(await sp.SP_receive(a, p, small.length, small), sp.BUFFER_TOO_SHORT);
    assert.equal(p.endianMismatch, -body.length);
    await expectData(a, sp.RELIABLE_MESS, '#bigb#sp1', ['B'], 4, body);
    await expectData(b, sp.RELIABLE_MESS, '#biga#sp1', ['B'], 3, body);
    await expectData(b, sp.RELIABLE_MESS, '#bigb#sp1', ['B'], 4, body);
    await sp.SP_disconnect(a);
    await sp.SP_disconnect(b);
  });

  test('AGREED messages from two senders arrive in the same order everywhere', async () => {
    const a = await connect('oa', 'tcp', 0);
    const b = await connect('ob', 'unix', 0);
    assert.equal(await sp.SP_join(a, 'O'), 0);
    assert.equal(await sp.SP_join(b, 'O'), 0);
    await new Promise((r) => setTimeout(r, 50));
    const n = 200;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      sends.push(sp.SP_multicast(a, sp.AGREED_MESS, 'O', 0, 6, Buffer.from(`a${String(i).padStart(5, '0')}`)));
      sends.push(sp.SP_multicast(b, sp.AGREED_MESS, 'O', 0, 6, Buffer.from(`b${String(i).padStart(5, '0')}`)));
    }
    assert.ok((await Promise.all(sends)).every((r) => r === 6));
    const seenA: string[] = [];
    const seenB: string[] = [];
    for (let i = 0; i < 2 * n; i++) {
      seenA.push((await recv(a)).data.toString());
      seenB.push((await recv(b)).data.toString());
    }
    assert.deepEqual(seenA, seenB);
    assert.deepEqual(seenA.filter((s) => s.startsWith('a')), Array.from({ length: n }, (_, i) => `a${String(i).padStart(5, '0')}`));
    await sp.SP_disconnect(a);
    await sp.SP_disconnect(b);
  });
});
