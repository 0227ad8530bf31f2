// Event priorities (guide 5.1): while the membership algorithm runs, new connections and client
// messages wait unread and the daemons' own traffic goes first; everything waiting is served,
// in order and without loss, once the new configuration is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGREED_MESS, REG_MEMB_MESS } from '../../../client/wire/index.ts';
import { memoryLogger } from '../../../daemon/log/index.ts';
import { FAST_TIMEOUTS, startTestDaemon, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive, type RawSession } from '../../support/raw-client.ts';

const settle = (ms: number): Promise<'waiting'> => new Promise((r) => setTimeout(() => r('waiting'), ms));

async function nextData(s: RawSession, timeoutMs = 10_000): Promise<string> {
  for (;;) {
    const m = await rawReceive(s, timeoutMs);
    if ((m.header.type & REG_MEMB_MESS) === 0) return m.body.toString();
  }
}

test('while membership runs, a new connection and a member\'s messages wait; then both are served', async () => {
  const d = await startTestDaemon();
  try {
    const a = await rawConnect({ path: d.unixSocketPath! }, 'a');
    rawJoin(a, 'g');
    await rawReceive(a); // its own join
    d.node.sessions.setMembershipRunning(true);
    rawMulticast(a, AGREED_MESS, ['g'], Buffer.from('sent during membership'));
    const late = rawConnect({ path: d.unixSocketPath! }, 'late');
    const received = nextData(a);
    assert.equal(await Promise.race([late.then(() => 'connected'), settle(400)]), 'waiting', 'the handshake waits');
    assert.equal(await Promise.race([received, settle(100)]), 'waiting', 'the message waits unread');
    d.node.sessions.setMembershipRunning(false);
    assert.equal(await received, 'sent during membership');
    const l = await late;
    assert.match(l.privateGroup, /^#late#/);
    a.client.close();
    l.client.close();
  } finally {
    await d.stop();
  }
});

test('a real membership change pauses client events on the daemons that run it, and the flood resumes after', async () => {
  const logs = ['d1', 'd2', 'd3'].map(() => memoryLogger({ categories: ['EVENTS'] }));
  const config = threeDaemonConfig(32630, ...FAST_TIMEOUTS);
  const daemons = await Promise.all(
    ['d1', 'd2', 'd3'].map(async (name, i) => (await startTestDaemons(config, [name], { log: logs[i]!.logger }))[0]!),
  );
  try {
    await waitForRing(daemons, 3);
    const a = await rawConnect({ port: daemons[0]!.tcpPort, host: '127.0.0.1' }, 'a');
    rawJoin(a, 'p');
    await rawReceive(a);
    for (const l of logs) l.sink.lines.length = 0;
    for (const d of daemons) d.node.ring!.setPartition([0, 0, 1]);
    let sent = 0;
    while (daemons.some((d) => d.node.ring!.status().members.length !== (d === daemons[2] ? 1 : 2))) {
      rawMulticast(a, AGREED_MESS, ['p'], Buffer.from(String(sent++)));
      await settle(5);
    }
    rawMulticast(a, AGREED_MESS, ['p'], Buffer.from(String(sent++)));
    const got: string[] = [];
    while (got.length < sent) got.push(await nextData(a));
    assert.deepEqual(got, Array.from({ length: sent }, (_, i) => String(i)), 'every message of the flood, in order');
    for (const l of logs) {
      // the alone daemon (d3) may still be finishing its own membership when the flood is in
      for (let i = 0; i < 200 && !/membership done: client events resume/.test(l.sink.text()); i++) await settle(25);
      const text = l.sink.text();
      assert.match(text, /membership running: client events wait/);
      assert.match(text, /membership done: client events resume/);
    }
    a.client.close();
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
});

test('EventPriorities = false leaves client events alone during membership', async () => {
  const log = memoryLogger({ categories: ['EVENTS'] });
  const config = threeDaemonConfig(32640, ...FAST_TIMEOUTS, 'EventPriorities = false');
  const daemons = await startTestDaemons(config, ['d1', 'd2', 'd3'], { log: log.logger });
  try {
    await waitForRing(daemons, 3);
    for (const d of daemons) d.node.ring!.setPartition([0, 0, 1]);
    const deadline = Date.now() + 20_000;
    while (daemons[0]!.node.ring!.status().members.length !== 2 && Date.now() < deadline) await settle(20);
    assert.equal(daemons[0]!.node.ring!.status().members.length, 2);
    assert.doesNotMatch(log.sink.text(), /client events wait/);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
});
