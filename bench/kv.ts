// KV store throughput and latency (design section 8): 3 daemons and 3 KV nodes, each its own
// process on loopback; every node runs 1 or 16 clients, each with one put in flight, 100-byte
// values, durable acknowledgements ('quorum' durability), for Agreed and for Safe commands.
// Prints one JSON document with the figures and the settings.
// Usage: node --import tsx bench/kv.ts [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { daemonNodeArgs } from '../daemon/v8-flags.ts';
import { percentile } from './stats.ts';

const root = new URL('..', import.meta.url).pathname;
const self = new URL(import.meta.url).pathname;
const quick = process.argv.includes('--quick');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface RunSpec {
  readonly service: 'safe' | 'agreed';
  readonly clients: number;
  readonly durationMs: number;
  readonly valueBytes: number;
  readonly op: 'put' | 'get';
}

interface NodeResult {
  readonly ops: number;
  readonly errors: number;
  readonly latenciesMs: number[];
}

// ------------------------------------------------------------------ node process

async function nodeMain(): Promise<void> {
  const { KvStore } = await import('../replication/kv/index.ts');
  const id = arg('--id')!;
  const kv = await KvStore.open({
    replicaId: id,
    replicas: ['a', 'b', 'c'],
    spread: `${arg('--port')}@${arg('--host')}`,
    dataDir: arg('--dir')!,
    durability: (arg('--durability') ?? 'quorum') as 'quorum' | 'safe',
    janitorIntervalMs: 0,
    submitTimeoutMs: 20_000,
  });
  await kv.rsm.whenPrimary(60_000);
  const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  out({ ready: true });
  const lines = createInterface({ input: process.stdin });
  let runNo = 0;
  for await (const line of lines) {
    const msg = JSON.parse(line) as { run?: RunSpec; stop?: true };
    if (msg.stop) break;
    const spec = msg.run!;
    runNo++;
    const value = new Uint8Array(spec.valueBytes).fill(120);
    const latencies: number[] = [];
    let ops = 0;
    let errors = 0;
    const end = performance.now() + spec.durationMs;
    const client = async (c: number): Promise<void> => {
      let i = 0;
      while (performance.now() < end) {
        const key = `${id}${runNo}-${c}-${(i++ % 1000).toString().padStart(4, '0')}`;
        const t0 = performance.now();
        try {
          if (spec.op === 'put') await kv.put(key, value, { service: spec.service });
          else await kv.get(key);
          latencies.push(performance.now() - t0);
          ops++;
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: spec.clients }, (_, c) => client(c)));
    const result: NodeResult = { ops, errors, latenciesMs: latencies };
    out({ result });
  }
  await kv.close();
  process.exit(0);
}

// ------------------------------------------------------------------ coordinator

interface Proc {
  readonly proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
}

function spawnLines(args: string[]): Proc {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const queue: Array<Record<string, unknown>> = [];
  const waiters: Array<(o: Record<string, unknown>) => void> = [];
  lines.on('line', (l) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(l) as Record<string, unknown>;
    } catch {
      return;
    }
    const w = waiters.shift();
    if (w) w(o);
    else queue.push(o);
  });
  return {
    proc,
    next: () =>
      new Promise((resolve, reject) => {
        const q = queue.shift();
        if (q) return resolve(q);
        waiters.push(resolve);
        proc.once('exit', (code) => reject(new Error(`process exited ${code}`)));
      }),
  };
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const durability = (arg('--durability') ?? 'quorum') as 'quorum' | 'safe';
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const dir = mkdtempSync(join(tmpdir(), 'kv-bench-'));
  const conf = join(dir, 'spread.conf');
  writeFileSync(
    conf,
    [`Spread_Segment 127.255.255.255:${port} {`, '  d1 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }', '  d2 127.0.0.2 { D 127.0.0.2 C 127.0.0.2 }', '  d3 127.0.0.3 { D 127.0.0.3 C 127.0.0.3 }', '}', ''].join('\n'),
  );
  const daemons = ['d1', 'd2', 'd3'].map((n) => spawn(process.execPath, daemonNodeArgs(['-c', conf, '-n', n, '-l', 'n']), { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] }));
  const stopAll: ChildProcess[] = [...daemons];
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const ids = ['a', 'b', 'c'];
    const nodes = ids.map((id, i) =>
      spawnLines(['--import', 'tsx', self, '--node', '--id', id, '--port', String(port), '--host', `127.0.0.${i + 1}`, '--dir', join(dir, id), '--durability', durability]),
    );
    stopAll.push(...nodes.map((n) => n.proc));
    for (const n of nodes) await n.next();
    process.stderr.write('[kv-bench] 3 nodes primary\n');
    const durationMs = quick ? 3000 : 10_000;
    const rows: Array<Record<string, unknown>> = [];
    const specs: RunSpec[] = [];
    for (const service of ['agreed', 'safe'] as const) for (const clients of [1, 16]) specs.push({ service, clients, durationMs, valueBytes: 100, op: 'put' });
    specs.push({ service: 'safe', clients: 1, durationMs, valueBytes: 100, op: 'get' });
    // Warm-up (not reported).
    for (const n of nodes) n.proc.stdin!.write(`${JSON.stringify({ run: { service: 'safe', clients: 4, durationMs: 1000, valueBytes: 100, op: 'put' } })}\n`);
    for (const n of nodes) await n.next();
    for (const spec of specs) {
      for (const n of nodes) n.proc.stdin!.write(`${JSON.stringify({ run: spec })}\n`);
      const results = (await Promise.all(nodes.map((n) => n.next()))).map((o) => o.result as NodeResult);
      const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
      const ops = results.reduce((s, r) => s + r.ops, 0);
      const row = {
        operation: spec.op === 'put' ? `put (${spec.service})` : 'linearizable get',
        clientsPerNode: spec.clients,
        clientsTotal: spec.clients * 3,
        opsPerSec: Math.round(ops / (spec.durationMs / 1000)),
        p50Ms: round(percentile(lat, 0.5)),
        p99Ms: round(percentile(lat, 0.99)),
        errors: results.reduce((s, r) => s + r.errors, 0),
      };
      rows.push(row);
      process.stderr.write(`[kv-bench] ${JSON.stringify(row)}\n`);
    }
    for (const n of nodes) n.proc.stdin!.write(`${JSON.stringify({ stop: true })}\n`);
    await Promise.all(nodes.map((n) => new Promise((r) => (n.proc.exitCode !== null ? r(undefined) : n.proc.once('exit', r)))));
    const doc = {
      benchmark: 'kv',
      settings: {
        nodes: 3,
        daemons: 3,
        transport: 'TCP loopback 127.0.0.1-3, every daemon and node its own process',
        durability,
        valueBytes: 100,
        keyBytes: 12,
        inFlightPerClient: 1,
        durationMsPerRow: durationMs,
        quick,
        cpus: cpus().length,
        node: process.version,
      },
      rows,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } finally {
    for (const p of stopAll) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--node')) await nodeMain();
else await main();
