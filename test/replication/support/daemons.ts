// Daemon configurations for the replication fault tests: N daemons of one segment on loopback.

/** Spread 5.0.1's membership timeouts (the guide's / 4): quick to notice faults, calm on a loaded machine. */
export const SPREAD5_TIMEOUTS = 'TimeoutDefaults = spread5';

/** A daemon process started as root keeps the user that runs the tests (no "spread" account needed). */
export const KEEP_USER: readonly string[] = process.getuid?.() === 0 ? ['DaemonUser = root', 'DaemonGroup = root'] : [];

/** d1..dN on 127.0.0.1..N (D and C interfaces on that address), segment port `port` (UDP port and port+1; TCP port for processes). */
export function loopbackConfig(size: number, port: number, ...options: string[]): string {
  const lines = [`Spread_Segment 127.255.255.255:${port} {`];
  for (let i = 1; i <= size; i++) lines.push(`  d${i} 127.0.0.${i} { D 127.0.0.${i} C 127.0.0.${i} }`);
  return [...lines, '}', ...options, ''].join('\n');
}
