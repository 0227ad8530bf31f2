// Three ring drivers over real UDP on 127.0.0.1, .2 and .3 (one segment, one port), each with the
// static three-daemon ring (no membership): one Agreed order and Safe delivery on all three, for
// the original and the Accelerated Ring. Membership over UDP: test/daemon/membership/.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { RingDriver } from '../../../daemon/net/ring-driver.ts';
import type { RingDelivery, RingService } from '../../../daemon/ring/index.ts';
import { MAX_RING_PAYLOAD, encodeDataPacket } from '../../../daemon/wire/index.ts';
import { testConfig, type TestConfigOptions } from '../../sim/config.ts';

// Ports for this file: 31400..31499, two per try (P and P+1).
let nextPort = 31400 + 2 * Math.floor(Math.random() * 20);

async function startRing(options: Omit<TestConfigOptions, 'daemons' | 'port'>): Promise<{ drivers: RingDriver[]; port: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = nextPort;
    nextPort += 2;
    if (nextPort > 31498) nextPort = 31400;
    const config = testConfig({ daemons: 3, port, hurryMs: 20, tokenMs: 10_000, ...options });
    const drivers = config.daemons.map((self) => new RingDriver({ config, self, members: config.daemons }));
    try {
      await Promise.all(drivers.map((d) => d.start()));
      return { drivers, port };
    } catch (err) {
      await Promise.all(drivers.map((d) => d.stop()));
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error('no free port pair in 31400..31499');
}

function payload(origin: number, k: number, size: number): Buffer {
  const b = Buffer.alloc(size, (origin * 31 + k) & 0xff);
  b.writeUInt8(origin, 0);
  if (size >= 5) b.writeUInt32BE(k, 1);
  return b;
}

function label(d: RingDelivery): string {
  return `${d.payload[0]}:${d.payload.length >= 5 ? Buffer.from(d.payload).readUInt32BE(1) : '-'}:${d.payload.length}`;
}

async function waitFor(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const running: RingDriver[] = [];
after(async () => {
  await Promise.all(running.map((d) => d.stop()));
});

for (const acceleratedRing of [false, true]) {
  describe(`three daemons on loopback, ${acceleratedRing ? 'Accelerated' : 'original'} Ring`, () => {
    test('one Agreed order and Safe delivery on all three, payloads byte-identical', async () => {
      const { drivers } = await startRing({ acceleratedRing });
      running.push(...drivers);
      const got: RingDelivery[][] = drivers.map(() => []);
      drivers.forEach((d, i) => d.onDeliver((x) => x.type === 'message' && got[i]!.push(x)));
      const services: RingService[] = ['AGREED', 'SAFE', 'FIFO', 'RELIABLE'];
      const sent = new Map<string, Buffer>();
      const perDaemon = 150;
      for (let k = 0; k < perDaemon; k++) {
        for (let i = 0; i < 3; i++) {
          const size = k === 7 ? MAX_RING_PAYLOAD : k % 10 === 3 ? 5000 + k : 5 + ((k * 37) % 900);
          const p = payload(i, k, size);
          sent.set(`${i}:${k}:${size}`, p);
          drivers[i]!.submit({ service: services[(k + i) % 4]!, payload: p });
        }
        if (k % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      const total = 3 * perDaemon;
      await waitFor(() => got.every((g) => g.length === total), 20_000, () => `delivered ${got.map((g) => g.length)} of ${total}`);
      // Every payload identical to what was submitted, delivered once.
      for (const g of got) {
        const keys = g.map(label);
        assert.equal(new Set(keys).size, total);
        for (const d of g) assert.ok(Buffer.from(d.payload).equals(sent.get(label(d))!), label(d));
      }
      // One order (one-packet Reliable messages may overtake).
      const ordered = got.map((g) => g.filter((d) => !(d.service === 'RELIABLE' && d.fragments === 1)).map(label));
      assert.deepEqual(ordered[1], ordered[0]);
      assert.deepEqual(ordered[2], ordered[0]);
      // Safe messages delivered everywhere.
      const safe = got.map((g) => g.filter((d) => d.service === 'SAFE').length);
      assert.deepEqual(safe, [safe[0], safe[0], safe[0]]);
      assert.ok(safe[0]! > 100);
      const status = drivers.map((d) => d.status());
      for (const s of status) {
        assert.equal(s.counters.anomalies, 0);
        assert.equal(s.tokenAlive, true);
      }
      await waitFor(() => drivers.every((d) => d.status().packetsStored === 0), 5000, () => 'memory freed');
      await Promise.all(drivers.map((d) => d.stop()));
    });
  });
}

describe('driver filters and lifecycle', () => {
  test('drops datagrams with a wrong source address or config hash; stop frees the ports', async () => {
    const { drivers, port } = await startRing({});
    running.push(...drivers);
    const target = drivers[1]!;
    const config = testConfig({ daemons: 3 });
    const d1 = config.daemons[0]!.id;
    const forged = encodeDataPacket(
      { service: 'AGREED', configHash: config.configHash, transmitter: d1, originator: d1, ringId: { procId: d1, time: 1 }, seq: 1, tokenRound: 0, firstFragmentIndex: -1 },
      Buffer.from('forged'),
    );
    const badHash = Buffer.from(forged);
    badHash.writeUInt32BE(1, 4);
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.bind({ address: '127.0.0.9', port: 0 }, () => r()));
    await new Promise<void>((r) => stranger.send(forged, port, '127.0.0.2', () => r())); // claims d1 from .9
    await new Promise<void>((r) => stranger.send(badHash, port, '127.0.0.2', () => r()));
    await waitFor(() => target.status().driver.dropped >= 2, 2000, () => `dropped ${target.status().driver.dropped}`);
    stranger.close();
    assert.equal(target.status().counters.messagesDelivered, 0);
    await Promise.all(drivers.map((d) => d.stop()));
    // the same ports can be bound again at once
    const again = testConfig({ daemons: 3, port, hurryMs: 20 });
    const d2 = new RingDriver({ config: again, self: again.daemons[1]!, members: again.daemons });
    await d2.start();
    await d2.stop();
  });
});

describe('one daemon', () => {
  test('a one-daemon ring passes the token to itself over UDP and delivers every service', async () => {
    let driver: RingDriver | undefined;
    for (let attempt = 0; attempt < 10 && driver === undefined; attempt++) {
      const port = 31480 + 2 * attempt;
      const config = testConfig({ daemons: 1, port, hurryMs: 20, tokenMs: 10_000 });
      const d = new RingDriver({ config, self: config.daemons[0]!, members: config.daemons });
      try {
        await d.start();
        driver = d;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    assert.ok(driver, 'a free port');
    running.push(driver);
    const got: string[] = [];
    driver.onDeliver((d) => d.type === 'message' && got.push(`${d.service}:${Buffer.from(d.payload).toString()}`));
    driver.submit({ service: 'SAFE', payload: Buffer.from('s') });
    driver.submit({ service: 'AGREED', payload: Buffer.from('a') });
    driver.submit({ service: 'RELIABLE', payload: Buffer.from('r') });
    driver.submit({ service: 'FIFO', payload: Buffer.from('f') });
    await waitFor(() => got.length === 4, 5000, () => got.join());
    assert.deepEqual(got.sort(), ['AGREED:a', 'FIFO:f', 'RELIABLE:r', 'SAFE:s']);
    await driver.stop();
  });

  test('a member list without this daemon is refused before any socket is bound', () => {
    const config = testConfig({ daemons: 3 });
    assert.throws(() => new RingDriver({ config, self: config.daemons[0]!, members: config.daemons.slice(1) }), RangeError);
  });
});
