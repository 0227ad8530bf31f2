// `spmonitor`: the monitor (guide section 2.3). Without a subcommand, the interactive menu of
// the guide's Figure 2.8. Subcommands for scripts: status, partition, flow-control, terminate.
// Flags as the guide's: -c config, -n daemon identity, -p port, -t seconds between status queries.
import { Command, InvalidArgumentError } from 'commander';
import { findConfigFile, findSelf, loadConfig } from '../config/index.ts';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { ControlPacket } from '../wire/control.ts';
import { flowControlFor, flowControlPacket, formatAcks, pickDaemons, terminateCells, UNCHANGED } from './commands.ts';
import { MonitorMenu } from './menu.ts';
import { MonitorClient } from './monitor-client.ts';
import { formatStatus, statusDeltas, type StatusRecord } from './status.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

/** A window value: a positive integer, or `-` to leave it unchanged. */
function windowValue(value: string): number {
  if (value === '-') return UNCHANGED;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a window of at least 1 packet, or - for unchanged');
  return n;
}

interface Globals {
  config?: string;
  name?: string;
  port?: number;
  timeout: number;
}

async function withMonitor(g: Globals, f: (config: SpreadConfig, mon: MonitorClient) => Promise<void>): Promise<void> {
  const config = await loadConfig(findConfigFile(g.config));
  const self = findSelf(config, g.name);
  const mon = new MonitorClient(config, self, g.port ?? 0);
  await mon.open();
  try {
    await f(config, mon);
  } finally {
    mon.close();
  }
}

/** Sends a command that changes daemons, prints what each answered; exit code 2 unless all accepted. */
async function commandAll(mon: MonitorClient, daemons: DaemonSpec[], packet: ControlPacket, ms?: number): Promise<void> {
  const { lines, ok } = formatAcks(await mon.command(daemons, packet, ms), daemons);
  for (const l of lines) console.log(l);
  if (!ok) process.exitCode = 2;
}

const program = new Command('spmonitor')
  .description('Spread monitor: the interactive menu of the guide (no subcommand), or one command for scripts')
  .option('-c, --config <file>', 'configuration file (default: ./spread.conf, then /etc/spread.conf)')
  .option('-n, --name <proc name>', 'the configured daemon whose identity (host) the monitor uses')
  .option('-p, --port <port>', 'local UDP port for replies (default: any free one)', int)
  .option('-t, --timeout <seconds>', 'seconds between status queries in the menu', positive, 10)
  .showHelpAfterError()
  .action(async () => {
    const g = program.opts<Globals>();
    await withMonitor(g, (config, mon) =>
      new MonitorMenu(config, mon, { input: process.stdin, output: process.stdout, statusIntervalSec: g.timeout }).run(),
    );
  });

program
  .command('status')
  .description("ask daemons for their status record (the guide's Figure 2.9)")
  .argument('[daemons...]', 'daemon names (default: all)')
  .option('--watch <seconds>', 'ask again every N seconds until interrupted', positive)
  .option('--json', 'one JSON object per daemon and line instead of the text layout')
  .action(async (names: string[], o: { watch?: number; json?: boolean }) => {
    await withMonitor(program.opts<Globals>(), async (config, mon) => {
      const asked = pickDaemons(config, names);
      const prev = new Map<string, StatusRecord>();
      for (;;) {
        const got = await mon.status(asked);
        for (const d of asked) {
          const r = got.get(d.name);
          if (r === undefined) {
            console.log(o.json === true ? JSON.stringify({ daemon: d.name, error: 'no answer' }) : `${d.name}: no answer`);
            process.exitCode = 2;
          } else {
            console.log(o.json === true ? JSON.stringify(r) : formatStatus(r, statusDeltas(prev.get(d.name), r)));
            prev.set(d.name, r);
          }
        }
        if (o.watch === undefined) break;
        await new Promise((res) => setTimeout(res, o.watch! * 1000));
      }
    });
  });

program
  .command('partition')
  .description('send a partition: one cell number per configured daemon, in file order (needs DangerousMonitor)')
  .argument('[cells...]', 'cell numbers, e.g. 0 0 1')
  .option('--cancel', 'clear the partition')
  .option('--hold', 'keep re-sending it every 25 s until interrupted (the daemons clear a partition not refreshed within 60 s)')
  .action(async (cells: string[], o: { cancel?: boolean; hold?: boolean }) => {
    await withMonitor(program.opts<Globals>(), async (config, mon) => {
      const vector = o.cancel === true ? config.daemons.map(() => 0) : cells.map(int);
      if (vector.length !== config.daemons.length) throw new Error(`give ${config.daemons.length} cell numbers (one per daemon), or --cancel`);
      const packet: ControlPacket = { kind: 'partition', cells: vector, replyPort: mon.replyPort, wantAck: true };
      await commandAll(mon, [...config.daemons], packet);
      if (o.hold !== true || o.cancel === true || process.exitCode === 2) return;
      console.log('holding the partition; interrupt to stop re-sending (it then clears within 60 s)');
      for (;;) {
        await new Promise((res) => setTimeout(res, 25_000));
        for (const d of config.daemons) mon.send(d, { ...packet, wantAck: false });
      }
    });
  });

program
  .command('flow-control')
  .description('set Window for all daemons and the personal window of the named ones (needs DangerousMonitor)')
  .argument('<window>', 'packets the ring may send per token rotation, or - for unchanged', windowValue)
  .argument('<personal-window>', 'packets a daemon may send per token visit, or - for unchanged', windowValue)
  .argument('[daemons...]', 'daemons whose personal window changes (default: all)')
  .option('--accelerated <packets>', 'accelerated window of the named daemons', int)
  .action(async (window: number, personal: number, names: string[], o: { accelerated?: number }) => {
    await withMonitor(program.opts<Globals>(), async (config, mon) => {
      const fc = flowControlFor(config, window, personal, o.accelerated ?? UNCHANGED, names);
      await commandAll(mon, [...config.daemons], flowControlPacket(fc, mon.replyPort, true));
    });
  });

program
  .command('terminate')
  .description('stop daemons (needs DangerousMonitor)')
  .argument('[daemons...]', 'daemon names (default: all)')
  .action(async (names: string[]) => {
    await withMonitor(program.opts<Globals>(), async (config, mon) => {
      const stop = pickDaemons(config, names);
      const cells = terminateCells(config, new Set(stop.map((d) => d.name)), []);
      await commandAll(mon, stop, { kind: 'partition', cells, replyPort: mon.replyPort, wantAck: true });
    });
  });

program
  .command('reload')
  .description('make daemons re-read their spread.conf, as SIGHUP does (needs DangerousMonitor); run it with the new file')
  .argument('[daemons...]', 'daemon names (default: all)')
  .action(async (names: string[]) => {
    await withMonitor(program.opts<Globals>(), async (config, mon) => {
      // a reload re-forms the ring: give the daemons time to answer after reading their files
      await commandAll(mon, pickDaemons(config, names), { kind: 'reload', replyPort: mon.replyPort, wantAck: true }, 3000);
    });
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`spmonitor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
