// kv-cluster: three Spread daemons and three KV nodes on loopback, in one command. Writes the
// config into a folder (a new temp folder unless --dir), starts d1..d3 (127.0.0.1..3) and
// n1..n3 (node i on daemon i, HTTP on --http-port + i - 1), waits until the nodes agree, and
// prints how to use kvctl and spmonitor against it. Lines typed on stdin kill and restart
// processes for the walkthrough in examples/README.md. Ctrl-C (or SIGTERM) stops the nodes,
// then the daemons, and says so.
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { die, intArg, messageOf } from '../cli.ts';
import { KvHttpClient } from '../kv-node/client.ts';
import { statusLine } from '../kv-node/format.ts';
import { Child } from './child.ts';
import { clusterConfig, DAEMONS, hostOf } from './config.ts';
import { daemonNodeArgs } from '../../daemon/v8-flags.ts';

interface Options {
  port: number;
  httpPort: number;
  dir?: string;
  keepData?: boolean;
  group: string;
  console: boolean;
  readyTimeout: number;
}

const root = new URL('../..', import.meta.url).pathname;
const NODES = ['n1', 'n2', 'n3'] as const;

const program = new Command('kv-cluster')
  .description('run 3 Spread daemons and 3 replicated KV nodes on loopback (127.0.0.1-3) until Ctrl-C')
  .option('--port <port>', 'Spread port of the daemons (each uses it and the next one, on its own address)', intArg(1, 65534), 4803)
  .option('--http-port <port>', 'HTTP port of n1; n2 and n3 take the next two', intArg(1, 65533), 8081)
  .option('--dir <folder>', 'folder for the config, logs and data (default: a new temp folder)')
  .option('--keep-data', 'keep the folder when stopping (a temp folder is removed otherwise)')
  .option('--group <name>', 'Spread group of the KV replicas', 'kv')
  .option('--no-console', 'do not read commands from stdin (for running in the background)')
  .option('--ready-timeout <seconds>', 'how long to wait for the nodes to agree', intArg(1), 90)
  .showHelpAfterError()
  .addHelpText('after', '\nCommands typed while it runs: status, kill <name>, stop <name>, start <name>, help, quit\n(names: n1 n2 n3 for the KV nodes, d1 d2 d3 for the daemons). See examples/README.md.');

function say(line: string): void {
  process.stdout.write(`kv-cluster: ${line}\n`);
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(ms / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

class Cluster {
  readonly daemons: Child[];
  readonly nodes: Child[];
  readonly clients: KvHttpClient[];
  private stopping = false;

  constructor(
    readonly o: Options,
    readonly dir: string,
    readonly conf: string,
  ) {
    this.daemons = DAEMONS.map(
      (d) => new Child({ name: d, args: daemonNodeArgs(['-c', conf, '-n', d]), cwd: root, logFile: join(dir, `${d}.log`), echo: false }),
    );
    this.nodes = NODES.map(
      (n, i) =>
        new Child({
          name: n,
          args: [join(root, 'bin/kv-node.mjs'), '--name', n, '--replicas', NODES.join(','), '--data', join(dir, n), '--spread', `${o.port}@${hostOf(i)}`, '--http-port', String(this.httpPort(i)), '--group', o.group],
          cwd: root,
          logFile: join(dir, `${n}.log`),
          echo: true,
        }),
    );
    this.clients = NODES.map((_, i) => new KvHttpClient(this.url(i), 2000));
    for (const c of this.all()) c.onExit = (name, how) => void (this.stopping ? undefined : say(`${name} exited (${how})`));
  }

  httpPort(i: number): number {
    return this.o.httpPort + i;
  }

  url(i: number): string {
    return `http://127.0.0.1:${this.httpPort(i)}`;
  }

  all(): Child[] {
    return [...this.nodes, ...this.daemons];
  }

  find(name: string): Child | undefined {
    return this.all().find((c) => c.spec.name === name);
  }

  /** Starts daemon i and resolves once it accepts clients. */
  async startDaemon(i: number): Promise<void> {
    const d = this.daemons[i]!;
    d.start();
    say(`${d.spec.name} started (pid ${d.pid}) on ${hostOf(i)}:${this.o.port}, log ${d.spec.logFile}`);
    await until(`${d.spec.name} to accept clients`, 20_000, async () => {
      if (!d.running) throw new Error(`${d.spec.name} exited; see ${d.spec.logFile}`);
      return portOpen(hostOf(i), this.o.port);
    });
  }

  startNode(i: number): void {
    const n = this.nodes[i]!;
    n.start();
    say(`${n.spec.name} started (pid ${n.pid}) on ${this.url(i)}, daemon ${DAEMONS[i]}, data ${join(this.dir, n.spec.name)}`);
  }

  /** Every node primary, same applied index and digest. */
  async agreed(): Promise<boolean> {
    try {
      const s = await Promise.all(this.clients.map((c) => c.status()));
      return s.every((x) => x.primary && x.appliedIndex === s[0]!.appliedIndex && x.digest === s[0]!.digest);
    } catch {
      return false;
    }
  }

  async status(): Promise<void> {
    for (const [i, d] of this.daemons.entries()) say(`${d.spec.name}: ${d.running ? `running (pid ${d.pid}) on ${hostOf(i)}:${this.o.port}` : 'not running'}`);
    for (const [i, n] of this.nodes.entries()) {
      if (!n.running) {
        say(`${n.spec.name}: not running`);
        continue;
      }
      try {
        say(statusLine(await this.clients[i]!.status()));
      } catch (err) {
        say(`${n.spec.name}: running (pid ${n.pid}), no answer from ${this.url(i)}: ${messageOf(err)}`);
      }
    }
  }

  async command(line: string): Promise<void> {
    const [cmd, name] = line.trim().split(/\s+/);
    if (cmd === undefined || cmd === '') return;
    if (cmd === 'help') return help();
    if (cmd === 'status') return this.status();
    if (cmd === 'quit' || cmd === 'exit') return this.shutdown('quit');
    if (cmd !== 'kill' && cmd !== 'stop' && cmd !== 'start') return say(`unknown command '${cmd}'; type help`);
    const c = name === undefined ? undefined : this.find(name);
    if (c === undefined) return say(`${cmd} what? one of ${this.all().map((x) => x.spec.name).join(' ')}`);
    if (cmd === 'start') {
      if (c.running) return say(`${c.spec.name} is already running (pid ${c.pid})`);
      const di = this.daemons.indexOf(c);
      return di >= 0 ? this.startDaemon(di) : this.startNode(this.nodes.indexOf(c));
    }
    if (!c.running) return say(`${c.spec.name} is not running`);
    say(`${cmd === 'kill' ? 'killing' : 'stopping'} ${c.spec.name} (pid ${c.pid}) with ${cmd === 'kill' ? 'SIGKILL' : 'SIGTERM'}`);
    if (cmd === 'kill') c.kill('SIGKILL');
    else await c.stop();
  }

  async shutdown(why: string, code = 0): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    say(`${why}: stopping the KV nodes, then the daemons`);
    await Promise.all(this.nodes.map((n) => n.stop()));
    await Promise.all(this.daemons.map((d) => d.stop()));
    say('all 6 processes stopped');
    if (this.o.keepData === true || this.o.dir !== undefined) say(`kept ${this.dir}`);
    else {
      rmSync(this.dir, { recursive: true, force: true });
      say(`removed ${this.dir}`);
    }
    process.exit(code);
  }

  /** Last resort when we die without stopping: no child outlives us. */
  killAll(): void {
    for (const c of this.all()) c.kill('SIGKILL');
  }
}

function help(): void {
  process.stdout.write(
    [
      'commands:',
      '  status          each daemon and node; a node shows its view, mode, applied index and digest',
      '  kill <name>     SIGKILL a process (n1 n2 n3 d1 d2 d3): a crash',
      '  stop <name>     SIGTERM a process: a clean stop',
      '  start <name>    start it again with the same command line and data',
      '  quit            stop everything (as Ctrl-C)',
      '',
    ].join('\n'),
  );
}

function banner(c: Cluster): void {
  const kvctl = 'node bin/kvctl.mjs';
  const mon = `node bin/spmonitor.mjs -c ${c.conf} -n d1`;
  const lines = [
    'ready: n1, n2 and n3 are primary and agree',
    ...NODES.map((n, i) => `  ${n}  ${c.url(i)}  daemon ${DAEMONS[i]} (${c.o.port}@${hostOf(i)})`),
    'try, from the repository in another terminal:',
    `  ${kvctl} --node ${c.url(0)} put greeting hello`,
    `  ${kvctl} --node ${c.url(2)} get greeting`,
    `  ${kvctl} --node ${c.url(0)} status`,
    `  ${mon} partition 0 0 1     # cut d3 (and n3) off`,
    `  ${mon} partition --cancel  # heal`,
    `type here: status, kill <name>, start <name>, help; Ctrl-C stops everything`,
  ];
  for (const l of lines) say(l);
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  let dir: string;
  if (o.dir !== undefined) {
    dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true });
  } else dir = mkdtempSync(join(tmpdir(), 'kv-cluster-'));
  const conf = join(dir, 'spread.conf');
  writeFileSync(conf, clusterConfig(o.port));
  say(`folder ${dir}`);
  say(`config ${conf} (3 daemons on 127.0.0.1-3 port ${o.port}, DangerousMonitor = true)`);
  const c = new Cluster(o, dir, conf);
  process.on('exit', () => c.killAll());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void c.shutdown(sig));
  try {
    await Promise.all([...DAEMONS.keys()].map((i) => c.startDaemon(i)));
    for (const i of NODES.keys()) c.startNode(i);
    await until('n1, n2 and n3 to be primary with the same applied index and digest', o.readyTimeout * 1000, () => c.agreed());
  } catch (err) {
    say(`${messageOf(err)}; logs are in ${dir}`);
    o.keepData = true;
    await c.shutdown('start failed', 1);
    return;
  }
  banner(c);
  if (o.console) {
    const rl = createInterface({ input: process.stdin });
    // Commands run one at a time, in the order typed.
    let queue = Promise.resolve();
    rl.on('line', (line) => {
      queue = queue.then(() => c.command(line)).catch((err: unknown) => say(messageOf(err)));
    });
  }
}

main().catch((err: unknown) => die('kv-cluster', err));
