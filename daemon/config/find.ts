// Which configured daemon am I (design 2.5): by -n name, else the first daemon whose address is
// one of this machine's addresses.
import { networkInterfaces } from 'node:os';
import { parseIpLiteral } from './address.ts';
import { DaemonNotInConfigError } from './errors.ts';
import type { DaemonSpec, SpreadConfig } from './model.ts';

const canonical = (address: string): string => parseIpLiteral(address)?.canonical ?? address;
const names = (config: SpreadConfig): string => config.daemons.map((d) => d.name).join(', ');

/** Every IP address of this machine's interfaces (IPv6 link-local ones with their %ifname). */
export function machineAddresses(): string[] {
  const out: string[] = [];
  for (const [ifname, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      out.push(a.family === 'IPv6' && a.scopeid ? `${a.address.split('%')[0]}%${ifname}` : a.address);
    }
  }
  return out;
}

/**
 * The daemon this process is: the one named `procName`, else the first (in configuration order)
 * whose address is one of `localAddresses` (default: this machine's addresses).
 */
export function findSelf(
  config: SpreadConfig,
  procName?: string,
  localAddresses: ReadonlyArray<string> = machineAddresses(),
): DaemonSpec {
  if (procName !== undefined) {
    const me = config.daemons.find((d) => d.name === procName);
    if (me !== undefined) return me;
    throw new DaemonNotInConfigError(
      `daemon '${procName}' is not in ${config.source}; configured daemons: ${names(config)}`,
      config.source,
    );
  }
  if (localAddresses.length === 0) {
    throw new DaemonNotInConfigError(
      `cannot tell which daemon of ${config.source} this is: give its name with -n (one of ${names(config)})`,
      config.source,
    );
  }
  const mine = new Set(localAddresses.map(canonical));
  const me = config.daemons.find((d) => mine.has(canonical(d.address)));
  if (me !== undefined) return me;
  throw new DaemonNotInConfigError(
    `none of this machine's addresses (${[...mine].join(', ')}) is the address of a daemon in ${config.source} ` +
      `(${config.daemons.map((d) => `${d.name} ${d.address}`).join(', ')}); give the daemon's name with -n`,
    config.source,
  );
}
