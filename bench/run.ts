// `npm run bench`: throughput and latency of our daemons, in the units of the C Spread 5.0.1
// reference figures (daemon-protocol.md section 13). Daemons and clients run as separate
// processes on loopback. Prints one JSON document with the figures and the settings.
// Usage: npm run bench [-- --quick] [-- --only single|three|membership|kv|priority] [-- --rows agreed/3/100,safe/1/10000]
// (--rows keeps the throughput rows named service/senders/size, for a quick look at a few, and,
// with `rtt`, the three-daemon round trips). Round trips are taken with our Node bench client and,
// where a C compiler builds bench/c/spping.c, with a small C client as the C reference was.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { threeDaemonConfig } from '../test/support/daemon.ts';
import { progress } from './progress.ts';
import { membershipTimes } from './membership.ts';
import { priorityTimes } from './priority.ts';
import { daemonNodeArgs } from '../daemon/v8-flags.ts';
import { buildCPingClient } from './c-client.ts';
import { probeLoopback } from './loopback-probe.ts';

const root = new URL('..', import.meta.url).pathname;
const quick = process.argv.includes('--quick');
function flagValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const only = flagValue('--only');
const rowFilter = flagValue('--rows')?.split(',');
const rowWanted = (service: string, senders: number, size: number): boolean => rowFilter === undefined || rowFilter.includes(`${service}/${senders}/${size}`);

interface DaemonProc {
  proc: ChildProcess;
  port: number;
}

async function startDaemons(confText: string, names: string[], port: number): Promise<DaemonProc[]> {
  const dir = mkdtempSync(join(tmpdir(), 'spread-bench-'));
  const conf = join(dir, 'spread.conf');
  writeFileSync(conf, confText);
  const out: DaemonProc[] = [];
  for (const name of names) {
    const proc = spawn(process.execPath, daemonNodeArgs(['-c', conf, '-n', name, '-l', 'n']), { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    out.push({ proc, port });
  }
  await new Promise((r) => setTimeout(r, 1500));
  return out;
}

async function stopDaemons(ds: DaemonProc[]): Promise<void> {
  await Promise.all(
    ds.map(
      (d) =>
        new Promise<void>((resolve) => {
          d.proc.once('exit', () => resolve());
          d.proc.kill('SIGTERM');
        }),
    ),
  );
}

/** Which program a round trip's two clients are: our Node bench client, or the C one (bench/c/spping.c). */
type PingClient = 'node' | 'c';
let cPingClientBuild: { readonly path: string | undefined } | undefined;
/** The C client's binary, built on first use; undefined where no C compiler built it. */
function cPingClientPath(): string | undefined {
  cPingClientBuild ??= { path: buildCPingClient(root) };
  return cPingClientBuild.path;
}
/** The ping clients to measure with: the C one only where it was built. */
function pingClients(): PingClient[] {
  return cPingClientPath() === undefined ? ['node'] : ['node', 'c'];
}

function runClient(args: string[], client: PingClient = 'node'): { proc: ChildProcess; result: Promise<Record<string, number | boolean>>; ready: Promise<void> } {
  const proc =
    client === 'c'
      ? spawn(cPingClientPath()!, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
      : spawn(process.execPath, ['--import', 'tsx', 'bench/flood-client.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  const result = new Promise<Record<string, number | boolean>>((resolve, reject) => {
    lines.on('line', (line) => {
      const obj = JSON.parse(line) as Record<string, number | boolean>;
      if (obj.ready === true) readyResolve();
      else resolve(obj);
    });
    proc.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`client exited ${code}`))));
  });
  return { proc, result, ready };
}

let runNumber = 0;

async function flood(targets: string[], senders: number, size: number, count: number, service: string): Promise<number> {
  const clients = [];
  const run = ++runNumber;
  for (let i = 0; i < senders; i++) {
    clients.push(
      runClient(['--target', targets[i % targets.length]!, '--name', `f${run}-${i}`, '--mode', 'flood', '--size', String(size), '--count', String(count), '--members', String(senders), '--senders', String(senders), '--service', service]),
    );
  }
  const results = await Promise.all(clients.map((c) => c.result));
  const start = Math.min(...results.map((r) => r.start as number));
  const end = Math.max(...results.map((r) => r.end as number));
  return (senders * count) / ((end - start) / 1000);
}

/** Round trips as the C reference measured them: `count` pings (after 200 not measured), median of `runs` runs. */
async function roundTrip(pingTarget: string, reflectTarget: string, service: string, count: number, runs: number, client: PingClient): Promise<Record<string, number>> {
  // the machine's state right before this row (see loopback-probe.ts)
  const probe = await probeLoopback(300);
  const results: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) results.push(await ping(pingTarget, reflectTarget, service, count, client));
  const med = (k: string): number => results.map((r) => r[k]!).sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  return { p50_ms: med('p50_ms'), p90_ms: med('p90_ms'), p99_ms: med('p99_ms'), max_ms: med('max_ms'), probe_rotation_us_p50: probe.rotation_us_p50 };
}

async function ping(pingTarget: string, reflectTarget: string, service: string, count: number, client: PingClient): Promise<Record<string, number>> {
  const reflector = runClient(['--target', reflectTarget, '--name', `r${++runNumber}`, '--mode', 'reflect', '--size', '100', '--members', '2', '--service', service], client);
  const pinger = runClient(['--target', pingTarget, '--name', `p${runNumber}`, '--mode', 'ping', '--size', '100', '--count', String(count), '--members', '2', '--service', service], client);
  reflector.result.catch(() => {}); // it is killed once the pings are done
  const r = await pinger.result;
  reflector.proc.kill();
  return { p50_ms: round(r.p50_ms as number, 3), p90_ms: round(r.p90_ms as number, 3), p99_ms: round(r.p99_ms as number, 3), max_ms: round(r.max_ms as number, 3) };
}

const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d;

async function median(runs: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await f());
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

async function singleDaemon(): Promise<Record<string, unknown>> {
  const port = 24803;
  const ds = await startDaemons(`Spread_Segment 127.255.255.255:${port} {\n  bench1 127.0.0.1\n}\n`, ['bench1'], port);
  const rows: Record<string, unknown>[] = [];
  const runs = quick ? 1 : 3;
  try {
    for (const transport of ['tcp', 'unix'] as const) {
      const target = transport === 'tcp' ? `${port}@127.0.0.1` : `${port}`;
      for (const service of ['agreed', 'safe']) {
        for (const senders of [1, 3]) {
          if (transport === 'unix' && (senders > 1 || service === 'safe')) continue;
          for (const size of [100, 1000, 10000]) {
            if (!rowWanted(service, senders, size)) continue;
            const count = quick ? 5000 : size >= 10000 ? 20000 : 100000;
            progress(`1 daemon ${transport} ${service} ${senders} sender(s) ${size} B x ${count}`);
            const rate = await median(runs, () => flood([target], senders, size, count, service));
            rows.push({ daemons: 1, transport, service, senders, size_bytes: size, messages_per_sender: count, msgs_per_s: round(rate), MB_per_s: round((rate * size) / 1e6, 1) });
          }
        }
      }
    }
    const latency: Record<string, unknown>[] = [];
    for (const client of pingClients()) {
      for (const service of ['agreed', 'safe']) {
        progress(`1 daemon round trip ${service}, ${client} clients`);
        latency.push({ daemons: 1, service, client, size_bytes: 100, pings: quick ? 300 : 1000, ...(await roundTrip(`${port}@127.0.0.1`, `${port}@127.0.0.1`, service, quick ? 300 : 1000, runs, client)) });
      }
    }
    return { throughput: rows, round_trip: latency };
  } finally {
    await stopDaemons(ds);
  }
}

async function threeDaemons(): Promise<Record<string, unknown>> {
  const rows: Record<string, unknown>[] = [];
  const latency: Record<string, unknown>[] = [];
  const runs = quick ? 1 : 3;
  for (const accelerated of [true, false]) {
    const port = accelerated ? 24903 : 24913;
    const ds = await startDaemons(threeDaemonConfig(port, `AcceleratedRing = ${accelerated}`), ['d1', 'd2', 'd3'], port);
    const targets = [1, 2, 3].map((i) => `${port}@127.0.0.${i}`);
    const ring = accelerated ? 'accelerated' : 'original';
    try {
      for (const service of ['agreed', 'safe']) {
        for (const perDaemon of [false, true]) {
          for (const size of [100, 1000, 10000]) {
            // the original ring is measured on the main rows only, for the comparison
            if (!accelerated && (perDaemon || service === 'safe')) continue;
            const count = quick ? 5000 : size >= 10000 ? 20000 : 100000;
            const senders = perDaemon ? 3 : 1;
            if (!rowWanted(service, senders, size)) continue;
            progress(`3 daemons ${ring} ${service} ${perDaemon ? 'one sender per daemon' : '1 sender'} ${size} B x ${count}`);
            const rate = await median(runs, () => flood(perDaemon ? targets : [targets[0]!], senders, size, count, service));
            rows.push({ daemons: 3, ring, transport: 'tcp', service, senders, size_bytes: size, messages_per_sender: count, msgs_per_s: round(rate), MB_per_s: round((rate * size) / 1e6, 1) });
          }
        }
      }
      for (const client of rowFilter !== undefined && !rowFilter.includes('rtt') ? [] : pingClients()) {
        for (const service of ['agreed', 'safe']) {
          if (!accelerated && service === 'safe') continue;
          progress(`3 daemons ${ring} round trip ${service}, ${client} clients (ping on d1, reflect on d2)`);
          latency.push({ daemons: 3, ring, service, client, size_bytes: 100, pings: quick ? 300 : 1000, ...(await roundTrip(targets[0]!, targets[1]!, service, quick ? 300 : 1000, runs, client)) });
        }
      }
    } finally {
      await stopDaemons(ds);
    }
  }
  return { throughput: rows, round_trip: latency };
}

/** The replicated KV store's figures: bench/kv.ts in a process of its own. */
async function kvBench(): Promise<unknown> {
  progress('replicated KV on 3 nodes over 3 daemons (bench/kv.ts)');
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/kv.ts', ...(quick ? ['--quick'] : [])], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/kv.ts exited ${code}`);
  return JSON.parse(out);
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    settings: {
      node: process.version,
      cpus: cpus().length,
      quick,
      note: 'msgs_per_s = messages sent per second by all senders together (median of runs); every sender is also a receiver of the whole group and keeps at most 800 of the group\'s messages in flight (bench/flood-client.ts); round trips: median over runs of each run\'s percentiles, each run measuring its pings after 200 that are not measured, with our Node bench client and with a small C client (bench/c/spping.c, as the C reference was measured); loopback_probe: a datagram passed round 3 sleeping processes (bench/loopback-probe.ts) before and after, since the machine\'s wake-up times, and the round trips with them, vary several-fold between hours; daemons, clients and this driver share the machine',
    },
  };
  progress('loopback probe (how quiet the machine is)');
  const probeBefore = await probeLoopback();
  if (only === undefined || only === 'single') report.single_daemon = await singleDaemon();
  if (only === undefined || only === 'three') report.three_daemons = await threeDaemons();
  if (only === undefined || only === 'membership') report.membership_change = await membershipTimes();
  if (only === undefined || only === 'kv') report.kv = await kvBench();
  if (only === undefined || only === 'priority') report.view_change_under_flood = await priorityTimes(quick);
  progress('loopback probe again');
  report.loopback_probe = { before: probeBefore, after: await probeLoopback() };
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${String(err)}\n`);
  process.exit(1);
});
