// kv-node: one replica of the replicated KV store (replication/kv) attached to a Spread daemon,
// served over HTTP (http.ts). It prints a status line whenever its view, mode or catch-up state
// changes, so a terminal (or the cluster example) shows what the replica goes through.
import { Command, InvalidArgumentError } from 'commander';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { distinctUntilChanged, map } from 'rxjs';
import { CouldNotConnectError, REJECT_NOT_UNIQUE, SpreadRejectedError } from '../../client/index.ts';
import { KvStore } from '../../replication/kv/index.ts';
import type { Durability } from '../../replication/rsm/index.ts';
import { die, intArg, listArg, messageOf } from '../cli.ts';
import { statusLine } from './format.ts';
import { createKvHttpServer, statusJson, type KvHttpOptions } from './http.ts';

interface Options {
  name: string;
  replicas: string[];
  data: string;
  spread: string;
  httpPort: number;
  httpHost: string;
  group: string;
  durability: Durability;
  writeTimeout: number;
  connectTimeout: number;
}

const program = new Command('kv-node')
  .description('a replica of the replicated key-value store, attached to a Spread daemon, with an HTTP API')
  .requiredOption('--name <id>', 'replica id, also its Spread private name (at most 10 characters)', (v: string) => {
    // The daemon would cut a longer name, and the replica would never find itself in the set.
    if (!/^[A-Za-z0-9_-]{1,10}$/.test(v)) throw new InvalidArgumentError('1 to 10 letters, digits, _ or -');
    return v;
  })
  .requiredOption('--replicas <ids>', 'the replica set, comma-separated, e.g. n1,n2,n3 (same on every node)', listArg)
  .requiredOption('--data <dir>', 'LevelDB directory of this replica (created if missing)')
  .option('--spread <daemon>', 'Spread daemon to attach to: port@host', '4803@127.0.0.1')
  .option('--http-port <port>', 'HTTP port of the API', intArg(1, 65535), 8081)
  .option('--http-host <address>', 'HTTP address to bind', '127.0.0.1')
  .option('--group <name>', 'Spread group of the replicas', 'kv')
  .option('--durability <mode>', "'quorum' (apply once a majority persisted) or 'safe' (apply on Safe delivery)", (v: string) => {
    if (v !== 'quorum' && v !== 'safe') throw new InvalidArgumentError("expected 'quorum' or 'safe'");
    return v;
  }, 'quorum')
  .option('--write-timeout <ms>', 'how long a write waits for its outcome before 504', intArg(1), 15_000)
  .option('--connect-timeout <seconds>', 'how long to keep retrying the daemon at start', intArg(0), 30)
  .showHelpAfterError()
  .addHelpText('after', '\nExample:\n  kv-node --name n1 --replicas n1,n2,n3 --data ./data/n1 --spread 4803@127.0.0.1 --http-port 8081');

/** Opens the store, retrying while the daemon is not up yet (or still holds a killed predecessor's name). */
async function openStore(o: Options, log: (l: string) => void): Promise<KvStore> {
  const deadline = Date.now() + o.connectTimeout * 1000;
  let said = false;
  for (;;) {
    try {
      return await KvStore.open({ replicaId: o.name, replicas: o.replicas, spread: o.spread, dataDir: o.data, group: o.group, durability: o.durability });
    } catch (err) {
      const retry = err instanceof CouldNotConnectError || (err instanceof SpreadRejectedError && err.rejectCode === REJECT_NOT_UNIQUE);
      if (!retry || Date.now() > deadline) throw err;
      if (!said) log(`waiting for the Spread daemon at ${o.spread} (${messageOf(err)})`);
      said = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e as Error))]);
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  if (!o.replicas.includes(o.name)) throw new Error(`--name ${o.name} is not in --replicas ${o.replicas.join(',')}`);
  const log = (l: string): void => void process.stdout.write(`${o.name}: ${l}\n`);
  const kv = await openStore(o, log);
  log(`joined group ${o.group} through ${o.spread} (data ${o.data})`);
  const info: KvHttpOptions = { node: o.name, group: o.group, spread: o.spread, dataDir: o.data, writeTimeoutMs: o.writeTimeout };
  const server = createKvHttpServer(kv, info);
  try {
    await listen(server, o.httpPort, o.httpHost);
  } catch (err) {
    await kv.close();
    throw new Error(`cannot serve HTTP on ${o.httpHost}:${o.httpPort}: ${messageOf(err)}`);
  }
  log(`HTTP API on http://${o.httpHost}:${o.httpPort}`);

  let stopping = false;
  // One line per change of mode, members, catch-up or transfer (not per applied command).
  kv.rsm.status$
    .pipe(
      map(() => statusJson(kv, info)),
      distinctUntilChanged((a, b) => a.mode === b.mode && a.primary === b.primary && a.catchingUp === b.catchingUp && a.members.join() === b.members.join() && a.transfer?.peer === b.transfer?.peer),
    )
    .subscribe({
      next: (s) => {
        if (s.mode !== 'closed' && s.mode !== 'connecting') process.stdout.write(`${statusLine(s)}\n`);
      },
      complete: () => {
        if (stopping) return;
        server.close();
        die(o.name, 'lost the connection to the Spread daemon; exiting');
      },
    });

  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    server.close();
    server.closeAllConnections();
    await kv.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => die('kv-node', err));
