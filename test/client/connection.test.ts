// The connection core: whole-message units under concurrency, batching, zero-copy large bodies,
// back-pressure in both directions.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '../../client/connection.ts';
import { nodeTransportFactory } from '../../client/transports/index.ts';
import type { Transport, TransportFactory } from '../../client/transport.ts';
import { FIFO_MESS, JOIN_MESS } from '../../client/wire/constants.ts';
import { startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.ts';
import { dataFrame } from './helpers/frames.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

/** Wraps the real transport and records every write() call. */
function recordingFactory(writes: Uint8Array[][]): TransportFactory {
  return async (address, options) => {
    const t = await nodeTransportFactory(address, options);
    const wrapped: Transport = {
      description: t.description,
      write: (chunks, onWritten) => {
        writes.push([...chunks]);
        return t.write(chunks, onWritten);
      },
      drained: () => t.drained(),
      read: () => t.read(),
      get bufferedBytes() {
        return t.bufferedBytes;
      },
      close: () => t.close(),
      destroy: (e) => t.destroy(e),
      closed: t.closed,
    };
    return wrapped;
  };
}

async function open(d: FakeDaemon, extra: Partial<Parameters<typeof Connection.open>[0]> = {}): Promise<Connection> {
  const [, portText] = /^(\d+)@/.exec(d.spreadName) ?? [];
  return Connection.open({
    address: { kind: 'tcp', host: '127.0.0.1', port: Number(portText) },
    privateName: 'c',
    membership: true,
    priority: false,
    ...extra,
  });
}

test('concurrent sends of small and large messages arrive whole and in call order', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const conn = await open(d);
  const session = await d.nextSession();
  const sends: Promise<void>[] = [];
  const expected: Buffer[] = [];
  for (let i = 0; i < 120; i++) {
    const size = i % 3 === 0 ? 60_000 + i : 10 + i;
    const body = Buffer.alloc(size, i);
    expected.push(body);
    sends.push(conn.sendMessage(FIFO_MESS, [`g${i % 7}`], i, [body.subarray(0, 5), body.subarray(5)], size));
    if (i % 10 === 0) sends.push(conn.sendCommand(JOIN_MESS, `j${i}`));
  }
  await Promise.all(sends);
  for (let i = 0; i < 120; i++) {
    const f = await session.nextFrame();
    assert.ok(f !== null);
    assert.equal(f.header.type, FIFO_MESS, `frame ${i}`);
    assert.equal(f.header.sender, '#c#sp1');
    assert.ok(f.bytes.subarray(48 + 32).equals(expected[i]!), `body ${i}`);
    if (i % 10 === 0) {
      const j = await session.nextFrame();
      assert.equal(j?.header.type, JOIN_MESS);
    }
  }
  await conn.disconnect();
});

test('small messages queued in one turn go out in a few batched writes; large bodies are not copied', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const writes: Uint8Array[][] = [];
  const conn = await open(d, { transportFactory: recordingFactory(writes) });
  const session = await d.nextSession();
  const handshakeWrites = writes.length;
  const small = Buffer.from('0123456789');
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 1000; i++) sends.push(conn.sendMessage(FIFO_MESS, ['g'], 0, [small], small.length));
  await Promise.all(sends);
  await new Promise((r) => setImmediate(r));
  const batches = writes.length - handshakeWrites;
  assert.ok(batches >= 1 && batches <= 3, `1000 messages took ${batches} writes`);

  const big = Buffer.alloc(100_000, 1);
  await conn.sendMessage(FIFO_MESS, ['g'], 0, [big], big.length);
  await new Promise((r) => setImmediate(r));
  const last = writes[writes.length - 1]!;
  assert.ok(last.some((c) => c === big), 'the 100000-byte body is written by reference');
  for (let i = 0; i < 1001; i++) assert.ok((await session.nextFrame()) !== null);
  await conn.disconnect();
});

test('sends wait while the daemon does not read, and resume when it does', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const conn = await open(d);
  const session = await d.nextSession();
  session.socket.pause();
  const body = Buffer.alloc(100_000, 2);
  let sent = 0;
  const total = 300;
  const loop = (async () => {
    for (let i = 0; i < total; i++) {
      await conn.sendMessage(FIFO_MESS, ['g'], 0, [body], body.length);
      sent++;
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(sent < total, `all ${sent} sends completed although nobody read`);
  session.socket.resume();
  await loop;
  for (let i = 0; i < total; i++) assert.equal((await session.nextFrame(10_000))?.header.dataLen, 100_000);
  await conn.disconnect();
});

test('a client that does not consume stops reading: unconsumed bytes stay bounded', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const conn = await open(d, { inboundBytesMax: 1 << 20 });
  const session = await d.nextSession();
  const frame = dataFrame(FIFO_MESS, '#x#sp1', ['g'], 0, Buffer.alloc(50_000, 3));
  const count = 400;
  for (let i = 0; i < count; i++) session.send(frame);
  await new Promise((r) => setTimeout(r, 300));
  const held = conn.unconsumedBytes;
  assert.ok(held < 4 * (1 << 20), `client holds ${held} bytes`);
  assert.ok(session.socket.writableLength > 0, 'the daemon side is backed up');
  let got = 0;
  while (got < count) {
    await conn.waitForFrame();
    const f = conn.shiftFrame();
    assert.ok(f !== undefined);
    assert.equal(f.header.dataLen, 50_000);
    got++;
  }
  assert.equal(conn.unconsumedBytes, 0);
  await conn.disconnect();
});

test('a large body may be reused once its send resolved, as C callers reuse their buffer', async () => {
  const d = await startFakeDaemon();
  daemons.push(d);
  const conn = await open(d);
  const session = await d.nextSession();
  session.socket.pause();
  setTimeout(() => session.socket.resume(), 200);
  const buf = Buffer.alloc(100_000);
  const n = 120;
  for (let i = 0; i < n; i++) {
    buf.fill(i);
    await conn.sendMessage(FIFO_MESS, ['g'], 0, [buf], buf.length);
  }
  for (let i = 0; i < n; i++) {
    const f = await session.nextFrame(10_000);
    assert.ok(f !== null);
    const body = f.bytes.subarray(80);
    assert.ok(body.every((b) => b === i), `message ${i} was overwritten before it was written`);
  }
  await conn.disconnect();
});
