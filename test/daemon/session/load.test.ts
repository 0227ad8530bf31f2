// Load behaviour of one daemon: a receiver that never reads is cut off at MaxSessionMessages while
// a fast pair keeps flowing and the daemon's queues stay bounded; 500 clients at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AGREED_MESS, CAUSED_BY_DISCONNECT, REG_MEMB_MESS } from '../../../client/wire/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive } from '../../support/raw-client.ts';

test('a stuck receiver is disconnected; the fast pair keeps flowing; memory stays bounded', async () => {
  const maxSessionMessages = 200;
  const daemon = await startTestDaemon({ maxSessionMessages });
  try {
    const where = { port: daemon.tcpPort };
    const sender = await rawConnect(where, 'fast-s', false);
    const reader = await rawConnect(where, 'fast-r', true);
    const stuck = await rawConnect(where, 'stuck', false);
    stuck.client.socket.pause(); // never reads again
    rawJoin(reader, 'flood');
    await rawReceive(reader);
    rawJoin(stuck, 'flood');
    await rawReceive(reader);
    const total = 6000;
    const payload = Buffer.alloc(4000, 1);
    let maxQueued = 0;
    let sent = 0;
    let received = 0;
    let sawDisconnect = false;
    const pump = async (): Promise<void> => {
      while (sent < total) {
        for (let i = 0; i < 50 && sent < total; i++, sent++) rawMulticast(sender, AGREED_MESS, ['flood'], payload);
        maxQueued = Math.max(maxQueued, daemon.node.sessions.maxQueuedMessages);
        await new Promise((r) => setImmediate(r));
      }
    };
    const drain = async (): Promise<void> => {
      while (received < total) {
        const m = await rawReceive(reader, 10_000);
        if ((m.header.type & REG_MEMB_MESS) !== 0) {
          assert.equal(m.header.type, REG_MEMB_MESS | CAUSED_BY_DISCONNECT);
          assert.equal(m.groups.length, 1);
          sawDisconnect = true;
        } else received++;
        maxQueued = Math.max(maxQueued, daemon.node.sessions.maxQueuedMessages);
      }
    };
    await Promise.all([pump(), drain()]);
    assert.equal(received, total, 'the reading member got every message');
    assert.ok(sawDisconnect, 'the stuck member was disconnected');
    assert.ok(maxQueued <= maxSessionMessages + 1, `queued ${maxQueued} messages at most`);
    assert.equal(daemon.node.sessions.counters.slowReadersKilled, 1);
    sender.client.close();
    reader.client.close();
    stuck.client.close();
  } finally {
    await daemon.stop();
  }
});

test('500 clients connected at once, all in one group', async () => {
  const daemon = await startTestDaemon();
  try {
    const where = { port: daemon.tcpPort };
    const observer = await rawConnect(where, 'observer', true);
    rawJoin(observer, 'crowd');
    await rawReceive(observer);
    const clients = [];
    for (let i = 0; i < 500; i += 50) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, j) => rawConnect(where, `c${i + j}`, false)));
      clients.push(...batch);
    }
    for (const c of clients) rawJoin(c, 'crowd');
    let last;
    for (let i = 0; i < 500; i++) last = await rawReceive(observer, 10_000);
    assert.equal(last!.groups.length, 501);
    rawMulticast(observer, AGREED_MESS, ['crowd'], Buffer.from('to all'));
    const got = await Promise.all(clients.map((c) => rawReceive(c, 10_000)));
    assert.ok(got.every((m) => m.body.toString() === 'to all'));
    for (const c of clients) c.client.close();
    observer.client.close();
  } finally {
    await daemon.stop();
  }
});
