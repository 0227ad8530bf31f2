// What the ring core needs from the configuration, read once (the config is an immutable value).
import type { MembershipTimeouts, SpreadConfig } from '../config/model.ts';
import { DATA_HEADER_BYTES } from '../wire/constants.ts';
import { MAX_WRAP_SEQUENCE_VALUE } from './constants.ts';
import type { DeliveryThreshold } from './types.ts';

export interface RingParams {
  readonly selfId: number;
  readonly configHash: number;
  /** Every configured daemon id -> its segment index (the network layer's "known transmitter"). */
  readonly segmentOf: ReadonlyMap<number, number>;
  /** Every configured daemon id -> its index in its segment. */
  readonly indexInSegment: ReadonlyMap<number, number>;
  /** Every configured daemon id -> its position in configuration order. */
  readonly orderOf: ReadonlyMap<number, number>;
  /** Configured daemon ids in configuration order. */
  readonly daemonOrder: ReadonlyArray<number>;
  readonly numSegments: number;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedRing: boolean;
  readonly acceleratedWindow: number;
  /** Largest packet body this daemon sends: the configured PacketSize less the data header. */
  readonly packetBodyBytes: number;
  readonly wideAreaNetwork: boolean;
  readonly tokenTimeoutMs: number;
  readonly hurryTimeoutMs: number;
  /** All nine membership timeouts (design 5.9). */
  readonly timeouts: MembershipTimeouts;
  /** Tests lower it to exercise the wrap (design 10.2). */
  readonly seqWrapLimit: number;
  /**
   * Wall-clock seconds for ring ids (design 5.7), injected: the core never reads a clock. Only
   * its order matters; the simulator passes virtual time.
   */
  readonly clock: () => number;
  /**
   * The delivery threshold set when a regular configuration is installed. UNRELIABLE suits a ring
   * without a group layer; the group layer passes BLOCK and opens it itself (design 7.6).
   */
  readonly installThreshold: DeliveryThreshold;
  /** Emit verbose trace records (token visits, drops, membership); anomalies are always traced. */
  readonly trace: boolean;
  /** Emit a 'sent' trace record per message whose last fragment got its seq (for checkers). */
  readonly traceSends: boolean;
}

export interface RingParamOverrides {
  readonly trace?: boolean;
  readonly traceSends?: boolean;
  readonly seqWrapLimit?: number;
  readonly clock?: () => number;
  readonly installThreshold?: DeliveryThreshold;
  /** Replaces the configuration's PacketSize (datagram bytes). */
  readonly packetSize?: number;
  /** Replaces the configuration's timeouts (tests scale them). */
  readonly timeouts?: MembershipTimeouts;
}

export function ringParamsFromConfig(config: SpreadConfig, selfId: number, overrides: RingParamOverrides = {}): RingParams {
  const segmentOf = new Map<number, number>();
  const indexInSegment = new Map<number, number>();
  const orderOf = new Map<number, number>();
  config.daemons.forEach((d, i) => {
    segmentOf.set(d.id >>> 0, d.segmentIndex);
    indexInSegment.set(d.id >>> 0, d.indexInSegment);
    orderOf.set(d.id >>> 0, i);
  });
  if (!segmentOf.has(selfId >>> 0)) throw new RangeError(`daemon id ${selfId} is not in the configuration`);
  const timeouts = overrides.timeouts ?? config.timeouts;
  return {
    selfId: selfId >>> 0,
    configHash: config.configHash >>> 0,
    segmentOf,
    indexInSegment,
    orderOf,
    daemonOrder: config.daemons.map((d) => d.id >>> 0),
    numSegments: config.segments.length,
    window: config.window,
    personalWindow: config.personalWindow,
    acceleratedRing: config.acceleratedRing,
    acceleratedWindow: Math.min(config.acceleratedWindow, config.personalWindow),
    packetBodyBytes: (overrides.packetSize ?? config.packetSize) - DATA_HEADER_BYTES,
    wideAreaNetwork: config.wideAreaNetwork,
    tokenTimeoutMs: timeouts.tokenMs,
    hurryTimeoutMs: timeouts.hurryMs,
    timeouts,
    seqWrapLimit: overrides.seqWrapLimit ?? MAX_WRAP_SEQUENCE_VALUE,
    clock: overrides.clock ?? (() => 0),
    installThreshold: overrides.installThreshold ?? 'UNRELIABLE',
    trace: overrides.trace ?? false,
    traceSends: overrides.traceSends ?? false,
  };
}
