// What a run with membership changes records for the EVS checker (design 10.4): one stream per
// daemon across its incarnations, plain data, the same shape for the simulator and (later) for
// logs of real daemons. Daemons are numbered 0..n-1 in configuration order; ring and
// configuration ids are strings "procId:time".
import type { RingService } from '../../daemon/ring/index.ts';

export interface StartRecord {
  readonly kind: 'start';
  readonly t: number;
  /** Incarnation number of this daemon, from 0. */
  readonly incarnation: number;
}

export interface CrashRecord {
  readonly kind: 'crash';
  readonly t: number;
}

export interface RegularRecord {
  readonly kind: 'regular';
  readonly t: number;
  readonly ring: string;
  readonly members: ReadonlyArray<number>;
  readonly transitional: string;
}

export interface TransitionalRecord {
  readonly kind: 'transitional';
  readonly t: number;
  readonly config: string;
  readonly members: ReadonlyArray<number>;
  readonly from: string;
  readonly to: string;
  readonly commitSet: ReadonlyArray<number>;
}

export interface DeliveryRecord {
  readonly kind: 'deliver';
  readonly t: number;
  /** `${daemon}:${counter}` from the payload. */
  readonly key: string;
  readonly service: RingService;
  readonly size: number;
  /** The ring the message was sent in. */
  readonly ring: string;
  readonly seq: number;
  readonly index: number;
  readonly fragments: number;
  readonly early: boolean;
  /** The configuration it was delivered in (regular ring id or transitional id). */
  readonly config: string;
  readonly inTransitional: boolean;
  /** Originator as the ring reported it (index). */
  readonly originator: number;
  readonly payloadOk: boolean;
  /**
   * SAFE delivered in a regular configuration only: the members of that configuration that were
   * up, still in it, and did not hold every packet of the message at that moment.
   */
  readonly safeMissingAt?: ReadonlyArray<number>;
}

export type EvsRecord = StartRecord | CrashRecord | RegularRecord | TransitionalRecord | DeliveryRecord;

export interface EvsSubmit {
  readonly key: string;
  readonly daemon: number;
  readonly incarnation: number;
  readonly t: number;
  readonly service: RingService;
  readonly size: number;
  /** Deliveries this incarnation had made when it submitted (for causal order). */
  readonly deliveredBefore: number;
}

/** A message's last fragment got a seq in `ring` (the ring core's 'sent' trace). */
export interface EvsSent {
  readonly key: string;
  readonly daemon: number;
  readonly incarnation: number;
  readonly t: number;
  readonly ring: string;
  readonly seq: number;
  readonly index: number;
}

export interface EvsFinal {
  readonly alive: boolean;
  readonly state: string;
  readonly ring: string;
  readonly members: ReadonlyArray<number>;
}

export interface EvsRunTrace {
  readonly daemons: number;
  /** Daemon ids by index: a daemon's ring before its first membership is "id:0". */
  readonly ids: ReadonlyArray<number>;
  readonly records: ReadonlyArray<ReadonlyArray<EvsRecord>>;
  readonly submits: ReadonlyArray<EvsSubmit>;
  readonly sent: ReadonlyArray<EvsSent>;
  /** Anomalies and invariant violations reported by the cores. */
  readonly anomalies: ReadonlyArray<string>;
  /** When the last fault ended (crash, restart, partition change, blackout, stall). */
  readonly lastFaultAt: number;
  /** Liveness bound after the last fault, from the timeouts (design 6.6 item 12). */
  readonly settleBoundMs: number;
  /** Every live daemon in one ring with everything delivered, before the time limit. */
  readonly finished: boolean;
  readonly final: ReadonlyArray<EvsFinal>;
}
