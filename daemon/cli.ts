// `spread`: run one daemon. Flags as the C daemon's: -c config file, -n process name, -p port,
// -l y|n logging on or off; and ours: --json-log, --metrics-port, --metrics-host.
import { Command, InvalidArgumentError } from 'commander';
import { hostname } from 'node:os';
import { findConfigFile, findSelf, loadConfig } from './config/index.ts';
import { openLogger } from './log/index.ts';
import { DaemonNode } from './node.ts';
import { dropPrivileges } from './privileges.ts';
import { missingDaemonV8Flags } from './v8-flags.ts';

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
  .option('--json-log', 'write log lines as JSON objects (time, category, level, message) for log collectors')
  .option('--metrics-port <port>', 'serve Prometheus metrics on http://ADDRESS:PORT/metrics', port)
  .option('--metrics-host <address>', "address of the metrics endpoint (default: the daemon's own address)")
  .showHelpAfterError();

interface DaemonFlags {
  config?: string;
  name?: string;
  port?: number;
  log: string;
  jsonLog?: boolean;
  metricsPort?: number;
  metricsHost?: string;
}

async function main(): Promise<void> {
  program.parse();
  const opts = program.opts<DaemonFlags>();
  const file = findConfigFile(opts.config);
  const config = await loadConfig(file);
  const self = findSelf(config, opts.name);
  const logger = openLogger(config, { silent: opts.log === 'n', format: opts.jsonLog === true ? 'json' : 'text' });
  for (const w of config.warnings) logger.log('CONFIGURATION', 'WARNING', w);
  logger.log('CONFIGURATION', 'INFO', `configuration ${file} read on host ${hostname()}`);
  const missing = missingDaemonV8Flags();
  if (missing.length > 0) {
    logger.log('CONFIGURATION', 'WARNING', `node runs without ${missing.join(' ')}: under a flood, full garbage collections take a third of the CPU ` +
      '(run bin/spread.mjs directly, or pass the flag to node)');
  }
  // The guide's order: configuration read and log opened, then give up root.
  dropPrivileges(config, logger);
  let stopping = false;
  const node = new DaemonNode({
    config,
    self,
    port: opts.port,
    log: logger,
    onTerminate: () => void stop('monitor terminate'),
    loadConfig: () => loadConfig(file),
    metricsPort: opts.metricsPort,
    metricsHost: opts.metricsHost,
  });
  const started = node.start();
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log('EXIT', 'INFO', `${signal}: shutting down`);
    // a signal during start-up (the client port is already open) waits for the start to end
    await started.catch(() => undefined);
    await node.stop();
    await logger.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  await started;
  // Spread 4's reload: re-read the same file; a file that does not parse leaves the daemon as it is.
  process.on('SIGHUP', () => {
    logger.log('CONFIGURATION', 'INFO', `SIGHUP: reloading ${file}`);
    void node.reloadFile();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`spread: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
