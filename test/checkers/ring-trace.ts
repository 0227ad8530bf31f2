// What a run of the ring records for the checkers: plain data, the same shape for the simulator
// and (later) for logs of real daemons. Daemons are numbered 0..n-1 in ring order.
import type { RingService } from '../../daemon/ring/index.ts';

/** A message handed to a daemon's ring core. */
export interface SubmitRecord {
  /** `${daemon}:${counter}`, unique in a run. */
  readonly key: string;
  readonly daemon: number;
  /** Per-daemon submission counter, from 0. */
  readonly counter: number;
  readonly time: number;
  readonly service: RingService;
  readonly size: number;
  /** How many messages this daemon had delivered when it submitted (for causal order). */
  readonly deliveredBefore: number;
}

/** A message delivered by a daemon's ring core. */
export interface DeliverRecord {
  readonly daemon: number;
  readonly key: string;
  /** Originating daemon as read from the payload. */
  readonly origin: number;
  /** Originating daemon as the ring reported it (index). */
  readonly originator: number;
  readonly time: number;
  readonly service: RingService;
  readonly size: number;
  readonly seq: number;
  readonly firstSeq: number;
  readonly index: number;
  readonly fragments: number;
  readonly early: boolean;
  /** The bytes equal what was submitted. */
  readonly payloadOk: boolean;
  /** SAFE only: the daemons that held every packet of the message at that moment. */
  readonly heldBy?: ReadonlyArray<number>;
}

export interface MemoryRecord {
  readonly daemon: number;
  readonly maxPacketsStored: number;
  readonly maxDownQueue: number;
  readonly maxUpQueueFragments: number;
  readonly finalPacketsStored: number;
}

export interface RingRunTrace {
  readonly daemons: number;
  readonly submits: ReadonlyArray<SubmitRecord>;
  /** A packet's body bytes in this run: a Reliable message that fits one packet may go up early (3.8). */
  readonly packetBodyBytes: number;
  /** Per daemon, in delivery order. */
  readonly deliveries: ReadonlyArray<ReadonlyArray<DeliverRecord>>;
  readonly memory: ReadonlyArray<MemoryRecord>;
  /** Anomalies and invariant violations reported by the cores. */
  readonly anomalies: ReadonlyArray<string>;
  readonly tokenLosses: number;
  /** Every message delivered everywhere and the ring idle before the time limit. */
  readonly finished: boolean;
}
