// Every row of spec section 7 as a raw-socket test: the expected reject byte or closed session,
// the CAUSED_BY_DISCONNECT seen by other members, and a daemon that keeps serving.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGREED_MESS, CAUSED_BY_DISCONNECT, CAUSED_BY_JOIN, CAUSED_BY_LEAVE, FIFO_MESS, JOIN_MESS, LEAVE_MESS,
  REG_MEMB_MESS, REJECT_MESS, encodeAuthChoice, encodeConnectRequest, encodeMessageHead, readMembershipBody,
  SPREAD_VERSION,
} from '../../../client/wire/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';
import { RawClient, rawConnect, rawJoin, rawMulticast, rawReceive, type RawSession } from '../../support/raw-client.ts';

let daemon: RunningDaemon;
before(async () => {
  daemon = await startTestDaemon({ maxSessions: 40 });
});
after(async () => {
  await daemon.stop();
});
const tcp = (): { port: number } => ({ port: daemon.tcpPort });

async function handshakeReject(bytes: Buffer[], expected: number): Promise<void> {
  const c = await RawClient.open(tcp());
  for (const b of bytes) {
    c.write(b);
    await new Promise((r) => setTimeout(r, 10));
  }
  const rest = await c.expectClose();
  assert.equal(rest[rest.length - 1], expected & 0xff, `reject byte ${expected}`);
}

/** The daemon still serves a well-behaved client. */
async function stillServes(): Promise<void> {
  const s = await rawConnect(tcp(), '', false);
  rawJoin(s, 'alive-check');
  rawMulticast(s, AGREED_MESS, ['alive-check'], Buffer.from('ok'));
  assert.equal((await rawReceive(s)).body.toString(), 'ok');
  s.client.close();
}

describe('handshake refusals', () => {
  test('library older than 3.1.0: REJECT_VERSION', async () => {
    await handshakeReject([Buffer.from([3, 0, 1, 0])], -7);
  });
  test('private name longer than 10: REJECT_ILLEGAL_NAME', async () => {
    await handshakeReject([Buffer.from([5, 0, 1, 1, 11, ...Buffer.from('abcdefghijk')])], -5);
  });
  test('illegal bytes in the private name: REJECT_ILLEGAL_NAME', async () => {
    await handshakeReject([encodeConnectRequest(SPREAD_VERSION, true, false, 'a#b')], -5);
    await handshakeReject([encodeConnectRequest(SPREAD_VERSION, true, false, 'a b')], -5);
  });
  test('a name already in use: REJECT_NOT_UNIQUE', async () => {
    const first = await rawConnect(tcp(), 'dup');
    await handshakeReject([encodeConnectRequest(SPREAD_VERSION, true, false, 'dup')], -6);
    first.client.close();
  });
  test('unknown, disallowed or missing auth method: REJECT_AUTH', async () => {
    for (const choice of [encodeAuthChoice(['PWORD']), Buffer.alloc(90)]) {
      const c = await RawClient.open(tcp());
      c.write(encodeConnectRequest(SPREAD_VERSION, true, false, ''));
      assert.deepEqual(await c.read(6), Buffer.from('054e554c4c20', 'hex'));
      c.write(choice);
      const rest = await c.expectClose();
      assert.deepEqual([...rest], [0xf7]);
    }
  });
  test('a request split over several writes is reassembled', async () => {
    const c = await RawClient.open(tcp());
    const req = encodeConnectRequest(SPREAD_VERSION, true, false, 'split');
    for (const b of req) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal((await c.read(6)).length, 6);
    const choice = encodeAuthChoice(['NULL']);
    c.write(choice.subarray(0, 40));
    await new Promise((r) => setTimeout(r, 20));
    c.write(choice.subarray(40));
    const accept = await c.read(5 + '#split#sp1'.length);
    assert.equal(accept[0], 1);
    c.close();
  });
  test('no connect request within 1 s: closed without a byte', async () => {
    const c = await RawClient.open(tcp());
    const t0 = Date.now();
    assert.equal((await c.expectClose(3000)).length, 0);
    assert.ok(Date.now() - t0 >= 900);
  });
  test('more sessions than the quota: REJECT_QUOTA', async () => {
    const held: RawClient[] = [];
    for (let i = 0; i < 40; i++) held.push(await RawClient.open(tcp()));
    const extra = await RawClient.open(tcp());
    assert.deepEqual([...(await extra.expectClose())], [0xfd]);
    for (const c of held) c.close();
    await new Promise((r) => setTimeout(r, 50));
    await stillServes();
  });
});

describe('bad messages close the session and the others see a disconnect', () => {
  async function watcherAndVictim(group: string): Promise<{ watcher: RawSession; victim: RawSession }> {
    const watcher = await rawConnect(tcp(), `w-${group}`.slice(0, 10));
    const victim = await rawConnect(tcp(), `v-${group}`.slice(0, 10), false);
    rawJoin(watcher, group);
    await rawReceive(watcher);
    rawJoin(victim, group);
    await rawReceive(watcher);
    return { watcher, victim };
  }

  async function expectKilled(watcher: RawSession, victim: RawSession): Promise<void> {
    await victim.client.expectClose();
    const m = await rawReceive(watcher);
    assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT);
    const body = readMembershipBody(m.frame, m.frame.length - m.header.dataLen, m.header.dataLen, true)!;
    assert.deepEqual(body.vsSets, [[victim.privateGroup]]);
    watcher.client.close();
  }

  const cases: Array<[string, (v: RawSession) => Buffer]> = [
    ['two service bits', (v) => encodeMessageHead(AGREED_MESS | FIFO_MESS, v.privateGroup, ['g'], 0, 0)],
    ['no service bit', (v) => encodeMessageHead(0, v.privateGroup, ['g'], 0, 0)],
    ['a service and a command', (v) => encodeMessageHead(AGREED_MESS | JOIN_MESS, v.privateGroup, ['g'], 0, 0)],
    ['a sender that is not the session', (v) => encodeMessageHead(AGREED_MESS, v.privateGroup.replace('#v', '#x'), ['g'], 0, 0)],
    ['101 groups', (v) => encodeMessageHead(AGREED_MESS, v.privateGroup, Array.from({ length: 101 }, (_, i) => `g${i}`), 0, 0)],
    ['negative data_len', (v) => { const b = encodeMessageHead(AGREED_MESS, v.privateGroup, ['g'], 0, 0); b.writeInt32LE(-1, 44); return b; }],
    ['data_len above 144000', (v) => encodeMessageHead(AGREED_MESS, v.privateGroup, ['g'], 0, 144001)],
    ['groups and data above 143952', (v) => encodeMessageHead(AGREED_MESS, v.privateGroup, ['g', 'h'], 0, 143952 - 63)],
    ['stray hint bits', (v) => { const b = encodeMessageHead(AGREED_MESS, v.privateGroup, ['g'], 0, 0); b.writeUInt32LE(0x80000081, 40); return b; }],
    ['a join without a group', (v) => { const b = encodeMessageHead(JOIN_MESS, v.privateGroup, [], 0, 0); return b; }],
    ['garbage', () => Buffer.from('this is not a spread message at all, just text..........', 'latin1')],
  ];
  for (const [name, make] of cases) {
    test(name, async () => {
      const group = `bad${cases.findIndex((c) => c[0] === name)}`;
      const { watcher, victim } = await watcherAndVictim(group);
      victim.client.write(make(victim));
      await expectKilled(watcher, victim);
    });
  }

  test('end of stream in the middle of a message', async () => {
    const { watcher, victim } = await watcherAndVictim('midmsg');
    const head = encodeMessageHead(AGREED_MESS, victim.privateGroup, ['midmsg'], 0, 1000);
    victim.client.write(Buffer.concat([head, Buffer.alloc(300)]));
    await new Promise((r) => setTimeout(r, 20));
    victim.client.close();
    const m = await rawReceive(watcher);
    assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT, 'the partial message was dropped');
    watcher.client.close();
  });

  test('the largest message the header check allows is delivered', async () => {
    const s = await rawConnect(tcp(), 'big', false);
    rawJoin(s, 'big');
    const data = Buffer.alloc(143952 - 32, 7);
    rawMulticast(s, AGREED_MESS, ['big'], data);
    const m = await rawReceive(s);
    assert.equal(m.body.length, data.length);
    assert.ok(m.body.equals(data));
    s.client.close();
  });

  test('join or leave of an illegal group name gets a REJECT_MESS and creates nothing', async () => {
    const s = await rawConnect(tcp(), 'illegal');
    for (const [cmd, oldType] of [[JOIN_MESS, CAUSED_BY_JOIN], [LEAVE_MESS, CAUSED_BY_LEAVE]] as const) {
      for (const name of ['has space', '#private', 'tab\there']) {
        const b = encodeMessageHead(cmd, s.privateGroup, [name], 0, 0);
        s.client.write(b);
        const r = await rawReceive(s);
        assert.equal(r.header.type, REJECT_MESS);
        assert.equal(r.frame.readUInt32LE(48) & 0x7fffff7f, oldType);
        assert.deepEqual(r.groups, [name, s.privateGroup]);
      }
    }
    assert.equal(daemon.node.groups.members('has space'), undefined);
    s.client.close();
    await stillServes();
  });
});
