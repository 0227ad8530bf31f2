// `spmonitor`: the monitor (guide section 2.3). Subcommands for scripts: status, partition,
// terminate. Flags as the guide's: -c config, -n daemon identity, -p port, -t status interval.
import { Command, InvalidArgumentError } from 'commander';
import { findConfigFile, findSelf, loadConfig } from '../config/index.ts';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import { MonitorClient } from './monitor-client.ts';
import { formatStatus, statusDeltas, type StatusRecord } from './status.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

interface Globals {
  config?: string;
  name?: string;
  port?: number;
}

async function open(g: Globals): Promise<{ config: SpreadConfig; mon: MonitorClient }> {
  const config = await loadConfig(findConfigFile(g.config));
  const self = findSelf(config, g.name);
  const mon = new MonitorClient(config, self, g.port ?? 0);
  await mon.open();
  return { config, mon };
}

function targets(config: SpreadConfig, names: string[] | undefined): DaemonSpec[] {
  if (names === undefined || names.length === 0) return [...config.daemons];
  return names.map((n) => {
    const d = config.daemons.find((x) => x.name === n);
    if (d === undefined) throw new Error(`no daemon '${n}' in the configuration (${config.daemons.map((x) => x.name).join(', ')})`);
    return d;
  });
}

function reportAcks(acks: Map<string, { accepted: boolean; reason: string }>, asked: DaemonSpec[]): boolean {
  let ok = true;
  for (const d of asked) {
    const a = acks.get(d.name);
    if (a === undefined) {
      ok = false;
      console.log(`${d.name}: no answer`);
    } else {
      ok &&= a.accepted;
      console.log(`${d.name}: ${a.accepted ? 'accepted' : 'REFUSED'} (${a.reason})`);
    }
  }
  return ok;
}

const program = new Command('spmonitor')
  .description('Spread monitor: daemon status, partitions and termination')
  .option('-c, --config <file>', 'configuration file (default: ./spread.conf, then /etc/spread.conf)')
  .option('-n, --name <proc name>', 'the configured daemon whose identity the monitor uses')
  .option('-p, --port <port>', 'local UDP port for replies (default: any free one)', int)
  .showHelpAfterError();

program
  .command('status')
  .description('ask daemons for their status record (the guide\'s Figure 2.9)')
  .argument('[daemons...]', 'daemon names (default: all)')
  .option('-t, --watch <seconds>', 'repeat every N seconds', int)
  .option('--json', 'print JSON lines instead of the text layout')
  .action(async (names: string[], o: { watch?: number; json?: boolean }) => {
    const { config, mon } = await open(program.opts<Globals>());
    const prev = new Map<string, StatusRecord>();
    try {
      for (;;) {
        const asked = targets(config, names);
        const got = await mon.status(asked);
        for (const d of asked) {
          const r = got.get(d.name);
          if (r === undefined) console.log(o.json === true ? JSON.stringify({ daemon: d.name, error: 'no answer' }) : `${d.name}: no answer`);
          else console.log(o.json === true ? JSON.stringify(r) : formatStatus(r, statusDeltas(prev.get(d.name), r)));
          if (r !== undefined) prev.set(d.name, r);
        }
        if (o.watch === undefined) break;
        await new Promise((res) => setTimeout(res, o.watch! * 1000));
      }
    } finally {
      mon.close();
    }
  });

program
  .command('partition')
  .description('send a partition: one cell number per configured daemon, in file order (needs DangerousMonitor)')
  .argument('[cells...]', 'cell numbers, e.g. 0 0 1')
  .option('--cancel', 'clear the partition')
  .action(async (cells: string[], o: { cancel?: boolean }) => {
    const { config, mon } = await open(program.opts<Globals>());
    try {
      const vector = o.cancel === true ? config.daemons.map(() => 0) : cells.map(int);
      if (vector.length !== config.daemons.length) throw new Error(`give ${config.daemons.length} cell numbers (one per daemon), or --cancel`);
      const acks = await mon.command(config.daemons, { kind: 'partition', cells: vector, replyPort: mon.replyPort, wantAck: true });
      if (!reportAcks(acks, [...config.daemons])) process.exitCode = 2;
    } finally {
      mon.close();
    }
  });

program
  .command('terminate')
  .description('stop daemons (needs DangerousMonitor)')
  .argument('[daemons...]', 'daemon names (default: all)')
  .action(async (names: string[]) => {
    const { config, mon } = await open(program.opts<Globals>());
    try {
      const stop = new Set(targets(config, names).map((d) => d.name));
      const cells = config.daemons.map((d) => (stop.has(d.name) ? -1 : 0));
      const acks = await mon.command(config.daemons.filter((d) => stop.has(d.name)), { kind: 'partition', cells, replyPort: mon.replyPort, wantAck: true });
      if (!reportAcks(acks, config.daemons.filter((d) => stop.has(d.name)))) process.exitCode = 2;
    } finally {
      mon.close();
    }
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`spmonitor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
