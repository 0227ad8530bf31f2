// membership-stream: joins a group and prints its views as they change, as RxJS streams.
// By default it reads EVS memberships (client/rx.ts `membership$`), which works for any group:
// a chat room, the KV replicas' group, spuser sessions. With --vs it joins through the VS layer
// and prints `views$`; every member of the group must then use the VS layer too (the Flush
// protocol waits for all members before installing a view).
import { Command } from 'commander';
import { filter, map, type Observable } from 'rxjs';
import { SpreadConnection } from '../../client/index.ts';
import { membership$ } from '../../client/rx.ts';
import { VsConnection } from '../../vs-layer/index.ts';
import { die, messageOf } from '../cli.ts';
import { evsViews, viewLine, vsViewInfo, type ViewInfo } from './views.ts';

interface Options {
  group: string;
  spread: string;
  name: string;
  vs?: boolean;
  json?: boolean;
}

const program = new Command('membership-stream')
  .description("join a Spread group and print its views as they change (RxJS streams)")
  .requiredOption('--group <name>', 'the group to watch')
  .option('--spread <daemon>', 'Spread daemon: port@host', '4803@127.0.0.1')
  .option('--name <private>', "this watcher's private name (default: the daemon picks one)", '')
  .option('--vs', 'use the VS layer (views$) instead of EVS memberships; all members must use it')
  .option('--json', 'print one JSON object per view')
  .showHelpAfterError()
  .addHelpText('after', '\nExample:\n  membership-stream --group chat --spread 4803@127.0.0.1');

interface Watch {
  readonly views$: Observable<ViewInfo>;
  readonly me: string;
  close(): Promise<void>;
}

async function watchEvs(o: Options): Promise<Watch> {
  const conn = await SpreadConnection.connect({ spread: o.spread, privateName: o.name, membership: true });
  // Messages wait in the connection until the stream is subscribed: the first view is not lost.
  await conn.join(o.group);
  const views$ = membership$(conn, { group: o.group }).pipe(
    filter((e) => e.kind === 'regular'),
    evsViews(),
  );
  return { views$, me: conn.getPrivateGroup().name, close: () => conn.close() };
}

async function watchVs(o: Options): Promise<Watch> {
  const conn = await VsConnection.connect({ spread: o.spread, privateName: o.name });
  const group = await conn.join(o.group);
  return { views$: group.views$.pipe(map(vsViewInfo)), me: conn.privateName, close: () => conn.close() };
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  const w = o.vs === true ? await watchVs(o) : await watchEvs(o);
  process.stderr.write(`membership-stream: watching ${o.group} as ${w.me} (${o.vs === true ? 'VS views' : 'EVS memberships'}); Ctrl-C stops\n`);
  let stopping = false;
  w.views$.subscribe({
    next: (v) => process.stdout.write(`${o.json === true ? JSON.stringify({ ...v, at: new Date().toISOString() }) : viewLine(v)}\n`),
    error: (err: unknown) => die('membership-stream', `connection lost: ${messageOf(err)}`),
    complete: () => {
      if (!stopping) die('membership-stream', 'connection closed by the daemon');
    },
  });
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await w.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => die('membership-stream', err));
