// The V8 settings a daemon process runs with. bin/spread.mjs's first line passes the same ones (a
// shebang cannot import this list: keep the two equal).
//
// Why: every datagram a daemon receives arrives as an ArrayBuffer, and V8 counts ArrayBuffer bytes
// not yet collected against the old generation's limit. From V8's small starting limit, a flood of
// 10 KB datagrams set off a full mark-compact every 100-300 ms: about a third of each daemon's CPU,
// with pauses of 10-20 ms. A 64 MB starting old generation leaves the datagrams to the cheap
// young-generation collections that free them anyway (measured in the README's benchmark notes).
import { fileURLToPath } from 'node:url';

export const DAEMON_V8_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

const DAEMON_BIN = fileURLToPath(new URL('../bin/spread.mjs', import.meta.url));

/** Node's command-line arguments that run a daemon: the V8 settings, bin/spread.mjs, then `args`. */
export function daemonNodeArgs(args: readonly string[]): string[] {
  return [...DAEMON_V8_FLAGS, DAEMON_BIN, ...args];
}

/** The settings missing from a process's command line (none when bin/spread.mjs started it). */
export function missingDaemonV8Flags(execArgv: readonly string[] = process.execArgv): string[] {
  return DAEMON_V8_FLAGS.filter((flag) => {
    const name = flag.split('=')[0]!;
    return !execArgv.some((a) => a === flag || a.startsWith(`${name}=`) || a.replaceAll('_', '-').startsWith(`${name}=`));
  });
}
