// The metrics endpoint: the latency sampler's pairing of sends and deliveries, and real daemons
// scraped over HTTP, their text parsed as the Prometheus exposition format, with values that
// follow the traffic.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { AGREED_MESS } from '../../../client/wire/index.ts';
import { DeliveryLatency } from '../../../daemon/metrics/index.ts';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive } from '../../support/raw-client.ts';

describe('DeliveryLatency', () => {
  test('pairs the n-th delivery of a sender with its n-th message; times one in sampleEvery', () => {
    let now = 0;
    const seen: number[] = [];
    const l = new DeliveryLatency({ now: () => now, observe: (s) => seen.push(s), sampleEvery: 2 });
    for (let i = 0; i < 4; i++) {
      l.sent('#a#d1');
      now += 1;
    }
    l.delivered('#b#d2'); // another daemon's sender: not followed
    for (let i = 0; i < 4; i++) {
      now += 10;
      l.delivered('#a#d1');
    }
    // message 0 sent at 0, delivered at 14; message 2 sent at 2, delivered at 34
    assert.deepEqual(seen, [14, 32]);
    assert.equal(l.trackedSenders, 1);
    l.forget('#a#d1');
    assert.equal(l.trackedSenders, 0);
  });

  test('pending timed messages per sender are bounded', () => {
    const seen: number[] = [];
    const l = new DeliveryLatency({ now: () => 0, observe: (s) => seen.push(s), sampleEvery: 1, maxPendingSamples: 3 });
    for (let i = 0; i < 10; i++) l.sent('x');
    for (let i = 0; i < 10; i++) l.delivered('x');
    assert.equal(seen.length, 3);
  });
});

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A strict reader of the Prometheus text format (0.0.4): HELP, TYPE, then samples of declared families. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleLine = new RegExp(`^(${name})(?:\\{(.*)\\})? (\\S+)$`);
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t !== null) {
      assert.ok(!types.has(t[1]!), `TYPE twice for ${t[1]}`);
      types.set(t[1]!, t[2]!);
      continue;
    }
    const m = sampleLine.exec(line);
    assert.ok(m !== null, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(label)) labels[l[1]!] = l[2]!;
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    assert.ok(m[3] === 'NaN' || !Number.isNaN(value), `value of ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]!) || types.get(family) === 'histogram' || types.get(family) === 'summary', `no TYPE for ${m[1]}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples };
}

function scrape(host: string, port: number, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a daemon started with a metrics port serves Prometheus text whose values follow the traffic', async () => {
  const metricsPort = 23585;
  const daemons = await startTestDaemons(threeDaemonConfig(23580, ...FAST_TIMEOUTS), ['d1', 'd2', 'd3'], { metricsPort });
  try {
    await waitForRing(daemons, 3);
    assert.equal(daemons[1]!.node.metricsPort, metricsPort, 'each daemon on its own address');
    const first = await scrape('127.0.0.1', metricsPort);
    assert.equal(first.status, 200);
    assert.match(first.type, /^text\/plain; version=0\.0\.4/);
    const before = parseExposition(first.body);
    const value = (p: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}): number => {
      const s = p.samples.filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
      assert.equal(s.length, 1, `${name} ${JSON.stringify(labels)}`);
      return s[0]!.value;
    };
    for (const [name, type] of [
      ['spread_messages_delivered_total', 'counter'],
      ['spread_packets_sent_total', 'counter'],
      ['spread_membership_changes_total', 'counter'],
      ['spread_retransmissions_total', 'counter'],
      ['spread_ring_members', 'gauge'],
      ['spread_aru', 'gauge'],
      ['spread_window_packets', 'gauge'],
      ['spread_session_queue_messages', 'gauge'],
      ['spread_down_queue_messages', 'gauge'],
      ['spread_delivery_latency_seconds', 'histogram'],
    ] as const) assert.equal(before.types.get(name), type, name);
    assert.equal(value(before, 'spread_ring_members'), 3);
    assert.ok(value(before, 'spread_membership_changes_total') >= 1);
    assert.equal(value(before, 'spread_window_packets'), 160);
    assert.equal(before.samples.filter((s) => s.name === 'spread_membership_state' && s.value === 1).length, 1, 'one membership state at a time');

    const s = await rawConnect({ port: daemons[0]!.tcpPort, host: '127.0.0.1' }, 'mx', false);
    rawJoin(s, 'mx');
    for (let i = 0; i < 64; i++) rawMulticast(s, AGREED_MESS, ['mx'], Buffer.from(`m${i}`));
    for (let i = 0; i < 64; i++) await rawReceive(s, 10_000);
    const after = parseExposition((await scrape('127.0.0.1', metricsPort)).body);
    assert.ok(value(after, 'spread_messages_delivered_total') >= value(before, 'spread_messages_delivered_total') + 64);
    assert.ok(value(after, 'spread_packets_sent_total') > value(before, 'spread_packets_sent_total'));
    assert.ok(value(after, 'spread_aru') > value(before, 'spread_aru'));
    assert.equal(value(after, 'spread_sessions'), 1);
    assert.equal(value(after, 'spread_session_queue_messages', { session: s.privateGroup }), 0);
    // 64 messages from one sender, one in 16 timed: exactly 4 observations.
    const count = (p: ReturnType<typeof parseExposition>): number => value(p, 'spread_delivery_latency_seconds_count');
    assert.equal(count(after) - count(before), 4);
    assert.ok(value(after, 'spread_delivery_latency_seconds_sum') > 0);
    assert.equal(value(after, 'spread_delivery_latency_seconds_bucket', { le: '+Inf' }), count(after));
    s.client.close();

    // d2 served its own numbers: it delivered to nobody.
    const d2 = parseExposition((await scrape('127.0.0.2', metricsPort)).body);
    assert.equal(value(d2, 'spread_daemon_info', { daemon: 'd2' }), 1);
    assert.equal(value(d2, 'spread_messages_delivered_total'), 0);
    assert.equal((await scrape('127.0.0.1', metricsPort, '/other')).status, 404);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
});
