// The spread.conf the cluster example writes: three daemons on one host (127.0.0.1-3, one port),
// the monitor allowed to partition them, and timeouts short enough for a demo.

export const DAEMONS = ['d1', 'd2', 'd3'] as const;

/** The loopback address daemon i (0-based) and its KV node use. */
export const hostOf = (i: number): string => `127.0.0.${i + 1}`;

export function clusterConfig(port: number): string {
  return [
    '# Written by kv-cluster: three daemons on this host, one per loopback address.',
    `Spread_Segment 127.255.255.255:${port} {`,
    ...DAEMONS.map((d, i) => `  ${d} ${hostOf(i)} { D ${hostOf(i)} C ${hostOf(i)} }`),
    '}',
    '# spmonitor may partition the daemons (never set this on a production ring).',
    'DangerousMonitor = true',
    "# Spread 5.0.1's membership timeouts (a failure is seen in about 3 s), with a 2 s lookup",
    '# instead of 30 s so that daemons find each other again soon after a partition heals.',
    'TokenTimeout = 1250',
    'HurryTimeout = 500',
    'AliveTimeout = 250',
    'JoinTimeout = 250',
    'RepTimeout = 625',
    'SegTimeout = 500',
    'GatherTimeout = 1250',
    'FormTimeout = 1250',
    'LookupTimeout = 2000',
    '',
  ].join('\n');
}
