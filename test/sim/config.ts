// Builds SpreadConfig values for ring tests and the simulator, without the parser.
import type { DaemonSpec, MembershipTimeouts, SpreadConfig } from '../../daemon/config/model.ts';
import { MAX_DATAGRAM_BYTES } from '../../daemon/wire/constants.ts';

export interface TestConfigOptions {
  /** Number of daemons (one segment), named d1..dN on 127.0.0.1..N. */
  readonly daemons: number;
  readonly port?: number;
  readonly window?: number;
  readonly personalWindow?: number;
  readonly acceleratedRing?: boolean;
  readonly acceleratedWindow?: number;
  /** Datagram bytes (default: Spread's 1472). */
  readonly packetSize?: number;
  readonly tokenMs?: number;
  readonly hurryMs?: number;
  readonly configHash?: number;
  /**
   * Daemon ids; default above 2^31 like the parser's name hashes, so that unsigned handling is
   * exercised (any distinct 32-bit values other than 0 and 0xFFFFFFFF).
   */
  readonly ids?: ReadonlyArray<number>;
}

export function testConfig(o: TestConfigOptions): SpreadConfig {
  const port = o.port ?? 4803;
  const daemons: DaemonSpec[] = [];
  for (let i = 0; i < o.daemons; i++) {
    daemons.push({
      name: `d${i + 1}`,
      address: `127.0.0.${i + 1}`,
      port,
      id: o.ids?.[i] ?? (0x9e3779b1 + Math.imul(i, 0x01000193)) >>> 0,
      segmentIndex: 0,
      indexInSegment: i,
      order: i,
      interfaces: [],
      line: i + 2,
    });
  }
  const tokenMs = o.tokenMs ?? 1250;
  const hurryMs = o.hurryMs ?? 500;
  const timeouts: MembershipTimeouts = {
    tokenMs,
    hurryMs,
    aliveMs: 250,
    joinMs: 250,
    repMs: 625,
    segMs: 500,
    gatherMs: 1250,
    formMs: 1250,
    lookupMs: 30000,
  };
  const personalWindow = o.personalWindow ?? 20;
  return {
    source: '<test>',
    segments: [{ addresses: ['127.255.255.255'], port, daemons }],
    daemons,
    debugFlags: new Set(['PRINT', 'EXIT']),
    eventPriority: 'INFO',
    eventLogFile: undefined,
    eventTimeStamp: undefined,
    eventPreciseTimeStamp: false,
    dangerousMonitor: false,
    socketPortReuse: 'AUTO',
    runtimeDir: '/var/run/spread',
    daemonUser: 'spread',
    daemonGroup: 'spread',
    requiredAuthMethods: [],
    allowedAuthMethods: ['NULL'],
    accessControlPolicy: 'PERMIT',
    maxSessionMessages: 1000,
    window: o.window ?? 160,
    personalWindow,
    acceleratedRing: o.acceleratedRing ?? false,
    acceleratedWindow: Math.min(o.acceleratedWindow ?? 15, personalWindow),
    // Spread's own datagram size, so that fragmentation and packing are exercised as in C Spread
    packetSize: o.packetSize ?? MAX_DATAGRAM_BYTES,
    eventPriorities: true,
    wideAreaNetwork: false,
    timeouts,
    excludeSegAddrsFromHash: false,
    configHash: o.configHash ?? 0x5eed1234,
    warnings: [],
  };
}
