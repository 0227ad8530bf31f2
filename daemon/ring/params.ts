// What the ring core needs from the configuration, read once (the config is an immutable value).
import type { SpreadConfig } from '../config/model.ts';
import { MAX_WRAP_SEQUENCE_VALUE } from './constants.ts';

export interface RingParams {
  readonly selfId: number;
  readonly configHash: number;
  /** Every configured daemon id -> its segment index (the network layer's "known transmitter"). */
  readonly segmentOf: ReadonlyMap<number, number>;
  /** Configured daemon ids in configuration order. */
  readonly daemonOrder: ReadonlyArray<number>;
  readonly window: number;
  readonly personalWindow: number;
  readonly acceleratedRing: boolean;
  readonly acceleratedWindow: number;
  readonly wideAreaNetwork: boolean;
  readonly tokenTimeoutMs: number;
  readonly hurryTimeoutMs: number;
  /** Tests lower it to exercise the wrap (design 10.2). */
  readonly seqWrapLimit: number;
  /** Emit verbose trace records (token visits); anomalies are always traced. */
  readonly trace: boolean;
}

export interface RingParamOverrides {
  readonly trace?: boolean;
  readonly seqWrapLimit?: number;
}

export function ringParamsFromConfig(config: SpreadConfig, selfId: number, overrides: RingParamOverrides = {}): RingParams {
  const segmentOf = new Map<number, number>();
  for (const d of config.daemons) segmentOf.set(d.id >>> 0, d.segmentIndex);
  if (!segmentOf.has(selfId >>> 0)) throw new RangeError(`daemon id ${selfId} is not in the configuration`);
  return {
    selfId: selfId >>> 0,
    configHash: config.configHash >>> 0,
    segmentOf,
    daemonOrder: config.daemons.map((d) => d.id >>> 0),
    window: config.window,
    personalWindow: config.personalWindow,
    acceleratedRing: config.acceleratedRing,
    acceleratedWindow: Math.min(config.acceleratedWindow, config.personalWindow),
    wideAreaNetwork: config.wideAreaNetwork,
    tokenTimeoutMs: config.timeouts.tokenMs,
    hurryTimeoutMs: config.timeouts.hurryMs,
    seqWrapLimit: overrides.seqWrapLimit ?? MAX_WRAP_SEQUENCE_VALUE,
    trace: overrides.trace ?? false,
  };
}
