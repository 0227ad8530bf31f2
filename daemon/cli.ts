// `spread`: run one daemon. Flags as the C daemon's: -c config file, -n process name, -p port,
// -l y|n logging on or off.
import { Command, InvalidArgumentError } from 'commander';
import { hostname } from 'node:os';
import { findConfigFile, findSelf, loadConfig } from './config/index.ts';
import { openLogger } from './log/index.ts';
import { DaemonNode } from './node.ts';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0..65535');
  return n;
}

const program = new Command('spread')
  .description('Spread daemon: group communication over a token ring, clients on TCP and a Unix socket')
  .option('-c, --config <file>', 'configuration file (default: ./spread.conf, then /etc/spread.conf)')
  .option('-n, --name <proc name>', 'which configured daemon this is (default: the first with a local address)')
  .option('-p, --port <port>', 'client TCP port (default: the configured one)', port)
  .option('-l, --log <y|n>', 'log to the configured destination (y) or not at all (n)', 'y')
  .option('--json-log', 'write log lines as JSON objects')
  .showHelpAfterError();

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<{ config?: string; name?: string; port?: number; log: string; jsonLog?: boolean }>();
  const file = findConfigFile(opts.config);
  const config = await loadConfig(file);
  const self = findSelf(config, opts.name);
  const logger = openLogger(config, { silent: opts.log === 'n', format: opts.jsonLog === true ? 'json' : 'text' });
  for (const w of config.warnings) logger.log('CONFIGURATION', 'WARNING', w);
  logger.log('CONFIGURATION', 'INFO', `configuration ${file}: ${config.daemons.length} daemons in ${config.segments.length} segments; I am ${self.name} (${self.address}) on ${hostname()}`);
  let stopping = false;
  const node = new DaemonNode({ config, self, port: opts.port, log: logger, onTerminate: () => void stop('monitor terminate') });
  await node.start();
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log('EXIT', 'INFO', `${signal}: shutting down`);
    await node.stop();
    await logger.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`spread: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
