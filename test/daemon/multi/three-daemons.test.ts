// Three daemons on 127.0.0.1-3 forming one ring: clients on different daemons share groups, see
// the same membership messages and one Agreed order; Safe reaches everyone; a flood from every
// daemon keeps memory bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AGREED_MESS, CAUSED_BY_DISCONNECT, CAUSED_BY_JOIN, REG_MEMB_MESS, SAFE_MESS, readMembershipBody } from '../../../client/wire/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive, rawReceiveData, type RawSession, type ReceivedMessage } from '../../support/raw-client.ts';

let daemons: RunningDaemon[];
before(async () => {
  daemons = await startTestDaemons(threeDaemonConfig(32110), ['d1', 'd2', 'd3']);
  await waitForRing(daemons, 3);
});
after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

const on = (i: number): { port: number; host: string } => ({ port: daemons[i]!.tcpPort, host: `127.0.0.${i + 1}` });

function body(m: ReceivedMessage) {
  return readMembershipBody(m.frame, m.frame.length - m.header.dataLen, m.header.dataLen, true)!;
}


describe('three daemons, one ring', () => {
  test('members on different daemons see the same views and one Agreed order', async () => {
    const a = await rawConnect(on(0), 'a');
    const b = await rawConnect(on(1), 'b');
    const c = await rawConnect(on(2), 'c');
    rawJoin(c, 'g');
    const v1 = await rawReceive(c);
    assert.deepEqual(v1.groups, ['#c#d3']);
    rawJoin(a, 'g');
    const v2 = await Promise.all([rawReceive(a), rawReceive(c)]);
    rawJoin(b, 'g');
    const v3 = await Promise.all([rawReceive(a), rawReceive(b), rawReceive(c)]);
    for (const m of [...v2, ...v3]) assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_JOIN);
    assert.deepEqual(v2[0]!.groups, ['#a#d1', '#c#d3']);
    assert.deepEqual(v2[1]!.frame, v2[0]!.frame, 'same bytes on d1 and d3');
    for (const m of v3) {
      assert.deepEqual(m.groups, ['#a#d1', '#b#d2', '#c#d3']);
      assert.deepEqual(body(m).vsSets, [['#b#d2']]);
      assert.deepEqual(body(m).groupId, body(v3[0]!).groupId);
    }
    const perSender = 60;
    for (let i = 0; i < perSender; i++)
      for (const s of [a, b, c]) rawMulticast(s, AGREED_MESS, ['g'], Buffer.from(`${s.privateGroup}:${i}`));
    const seqs = await Promise.all([a, b, c].map((s) => rawReceiveData(s, 3 * perSender)));
    const texts = seqs.map((ms) => ms.map((m) => m.body.toString()));
    assert.deepEqual(texts[1], texts[0]);
    assert.deepEqual(texts[2], texts[0]);
    for (const sender of [a, b, c]) {
      const mine = texts[0]!.filter((t) => t.startsWith(`${sender.privateGroup}:`));
      assert.deepEqual(mine, Array.from({ length: perSender }, (_, i) => `${sender.privateGroup}:${i}`), 'FIFO per sender');
    }
    // a disconnect on d2 is seen on d1 and d3 as the same view
    b.client.close();
    const d = await Promise.all([rawReceive(a), rawReceive(c)]);
    for (const m of d) {
      assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT);
      assert.deepEqual(m.groups, ['#a#d1', '#c#d3']);
      assert.deepEqual(body(m).vsSets, [['#b#d2']]);
    }
    a.client.close();
    c.client.close();
  });

  test('a Safe message is delivered on every daemon, and private unicast crosses daemons', async () => {
    const s = await Promise.all([0, 1, 2].map((i) => rawConnect(on(i), `s${i}`, false)));
    for (const x of s) rawJoin(x, 'safe');
    await new Promise((r) => setTimeout(r, 200));
    rawMulticast(s[0]!, SAFE_MESS, ['safe'], Buffer.from('stable'));
    for (const x of s) {
      const m = await rawReceive(x, 5000);
      assert.equal(m.header.type, SAFE_MESS);
      assert.equal(m.body.toString(), 'stable');
    }
    rawMulticast(s[2]!, AGREED_MESS, [s[0]!.privateGroup], Buffer.from('just for s0'));
    assert.equal((await rawReceive(s[0]!, 5000)).body.toString(), 'just for s0');
    for (const x of s) x.client.close();
  });

  test('a flood from every daemon keeps ring and session memory bounded', async () => {
    const s = await Promise.all([0, 1, 2].map((i) => rawConnect(on(i), `f${i}`, false)));
    for (const x of s) rawJoin(x, 'flood');
    await new Promise((r) => setTimeout(r, 200));
    const perSender = 2000;
    const payload = Buffer.alloc(1000, 3);
    let maxStored = 0;
    let maxQueued = 0;
    const sample = setInterval(() => {
      for (const d of daemons) {
        maxStored = Math.max(maxStored, d.node.ring!.status().packetsStored);
        maxQueued = Math.max(maxQueued, d.node.sessions.maxQueuedMessages);
      }
    }, 5);
    const send = async (x: RawSession): Promise<void> => {
      for (let i = 0; i < perSender; i += 100) {
        for (let j = 0; j < 100; j++) rawMulticast(x, AGREED_MESS, ['flood'], payload);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    const [, counts] = await Promise.all([
      Promise.all(s.map(send)),
      Promise.all(s.map(async (x) => (await rawReceiveData(x, 3 * perSender)).length)),
    ]);
    clearInterval(sample);
    assert.deepEqual(counts, [3 * perSender, 3 * perSender, 3 * perSender]);
    assert.ok(maxStored <= 1600 + 200, `ring store peaked at ${maxStored} packets`);
    assert.ok(maxQueued <= 1000, `session queues peaked at ${maxQueued}`);
    for (const x of s) x.client.close();
  });
});
