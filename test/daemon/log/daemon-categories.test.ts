// Real daemons logging under their configuration's DebugFlags: work that touches many categories
// (clients, groups, membership, monitor status, flow control, a partition, a refused packet)
// leaves lines under exactly the enabled ones, PRINT and EXIT always included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { AGREED_MESS } from '../../../client/wire/index.ts';
import { DEBUG_CATEGORIES, parseConfig, type DebugCategory, type SpreadConfig } from '../../../daemon/config/index.ts';
import { MemorySink, openLogger } from '../../../daemon/log/index.ts';
import { MonitorClient } from '../../../daemon/monitor/monitor-client.ts';
import { encodeControl } from '../../../daemon/wire/control.ts';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive } from '../../support/raw-client.ts';

/** Starts d1..d3 logging JSON lines into one memory sink, runs `work`, stops them; returns the categories seen. */
async function categoriesSeen(text: string, work: (config: SpreadConfig, d: Awaited<ReturnType<typeof startTestDaemons>>) => Promise<void>): Promise<Set<string>> {
  const config = parseConfig(text, '<test>');
  const sink = new MemorySink();
  const log = openLogger(config, { sink, format: 'json' });
  const daemons = await startTestDaemons(text, ['d1', 'd2', 'd3'], { log });
  try {
    await waitForRing(daemons, 3);
    await work(config, daemons);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
  return new Set(sink.lines.map((l) => (JSON.parse(l) as { category: string }).category));
}

async function clientTraffic(port: number, host: string, name: string): Promise<void> {
  const s = await rawConnect({ port, host }, name, false);
  rawJoin(s, 'logs');
  for (let i = 0; i < 5; i++) rawMulticast(s, AGREED_MESS, ['logs'], Buffer.from(`m${i}`));
  for (let i = 0; i < 5; i++) await rawReceive(s, 10_000);
  s.client.close();
}

test('DebugFlags { ALL !PROTOCOL !SESSION !DATA_LINK }: every other category that had work logs, those three never', async () => {
  const off: DebugCategory[] = ['PROTOCOL', 'SESSION', 'DATA_LINK'];
  const text = threeDaemonConfig(23560, ...FAST_TIMEOUTS, 'DangerousMonitor = true', `DebugFlags = { ALL ${off.map((c) => `!${c}`).join(' ')} }`);
  const seen = await categoriesSeen(text, async (config, daemons) => {
    await clientTraffic(daemons[0]!.tcpPort, '127.0.0.1', 'lg');
    const mon = new MonitorClient(config, config.daemons[0]!);
    await mon.open();
    try {
      assert.equal((await mon.status(config.daemons)).size, 3);
      await mon.command(config.daemons, { kind: 'flowControl', window: 100, perDaemon: [[10, 5], [10, 5], [10, 5]], replyPort: mon.replyPort, wantAck: true });
      await mon.command(config.daemons, { kind: 'partition', cells: [0, 0, 1], replyPort: mon.replyPort, wantAck: true });
      await waitForRing(daemons.slice(0, 2), 2);
      await mon.command(config.daemons, { kind: 'partition', cells: [0, 0, 0], replyPort: mon.replyPort, wantAck: true });
      await waitForRing(daemons, 3, 20_000);
    } finally {
      mon.close();
    }
    // A status request with the wrong configuration hash is refused (SECURITY).
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const bogus = encodeControl({ kind: 'statusRequest', replyPort: 1, wantAck: false }, { configHash: (config.configHash ^ 1) >>> 0, transmitter: config.daemons[0]!.id });
    await new Promise<void>((r) => s.send(bogus, config.daemons[1]!.port, config.daemons[1]!.address, () => r()));
    const refusedBefore = daemons[1]!.node.control.refused;
    for (let i = 0; i < 100 && daemons[1]!.node.control.refused === refusedBefore; i++) await new Promise((r) => setTimeout(r, 20));
    s.close();
  });
  for (const c of off) assert.ok(!seen.has(c), `${c} is off but logged`);
  for (const c of seen) assert.ok(DEBUG_CATEGORIES.includes(c as DebugCategory), c);
  for (const c of ['PRINT', 'EXIT', 'CONFIGURATION', 'MEMBERSHIP', 'GROUPS', 'STATUS', 'FLOW_CONTROL', 'NETWORK', 'EVENTS', 'SECURITY'])
    assert.ok(seen.has(c), `${c} is on and had work, but logged nothing (seen: ${[...seen].join(' ')})`);
});

test('DebugFlags { PROTOCOL SESSION DATA_LINK }: only those, and PRINT and EXIT', async () => {
  const on = ['PROTOCOL', 'SESSION', 'DATA_LINK', 'PRINT', 'EXIT'];
  const text = threeDaemonConfig(23570, ...FAST_TIMEOUTS, 'DebugFlags = { PROTOCOL SESSION DATA_LINK }');
  const seen = await categoriesSeen(text, async (config, daemons) => {
    await clientTraffic(daemons[1]!.tcpPort, '127.0.0.2', 'lg2');
    const mon = new MonitorClient(config, config.daemons[0]!);
    await mon.open();
    try {
      assert.equal((await mon.status(config.daemons)).size, 3);
    } finally {
      mon.close();
    }
  });
  assert.deepEqual([...seen].sort(), [...on].sort());
});
