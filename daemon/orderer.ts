// What the session and group layers need from message ordering. A single daemon orders locally;
// several daemons order through the ring. Either way every daemon delivers the same sequence.

/** Packet classes of the ring (design 3.8); clients' six services map onto these. */
export type PacketClass = 'RELIABLE' | 'FIFO' | 'AGREED' | 'SAFE';

export type DeliverHandler = (service: PacketClass, payload: Buffer) => void;

/** A daemon configuration change, in its place among the deliveries (design 6.4). */
export interface ConfigurationChange {
  readonly type: 'transitional' | 'regular';
  /** The transitional configuration's id, or the regular ring's id. */
  readonly id: { readonly procId: number; readonly time: number };
  /** Daemon names in configuration order. */
  readonly daemons: ReadonlyArray<string>;
}

export type ConfigurationHandler = (change: ConfigurationChange) => void;

export interface Orderer {
  /** Queues a message (a normalized client frame) for ordering. */
  submit(service: PacketClass, payload: Buffer): void;
  /** Messages waiting to be ordered (the down queue); the session layer stops reading at WATER_MARK. */
  readonly downQueueLength: number;
  /** Called for each message in delivery order. */
  onDeliver(handler: DeliverHandler): void;
  /** Called after a batch of deliveries, so the session layer can resume reading. */
  onDrained(handler: () => void): void;
  /** Daemon configuration changes; an orderer of one daemon has none. */
  onConfiguration?(handler: ConfigurationHandler): void;
  /**
   * The GROUPS state exchange after a merge (design 7.7): while on, the ring sends from the
   * GROUPS queue instead of the clients' queue and delivers in total order only. Orderers
   * without daemon membership changes never need it.
   */
  setGroupsExchange?(on: boolean): void;
  /** Queues a GROUPS message on the GROUPS queue. */
  submitGroups?(service: PacketClass, payload: Buffer): void;
  stop(): Promise<void>;
}

/**
 * The one-daemon orderer: every submitted message is delivered, in submission order, on the
 * next turn of the event loop. Submitting in one turn and delivering in the next lets a burst
 * of client input be read before the daemon writes, so writes to clients are batched.
 */
export class LocalOrderer implements Orderer {
  private queue: Array<{ service: PacketClass; payload: Buffer }> = [];
  private scheduled = false;
  private deliver: DeliverHandler = () => {};
  private drained: () => void = () => {};
  private stopped = false;

  get downQueueLength(): number {
    return this.queue.length;
  }

  onDeliver(handler: DeliverHandler): void {
    this.deliver = handler;
  }

  onDrained(handler: () => void): void {
    this.drained = handler;
  }

  submit(service: PacketClass, payload: Buffer): void {
    if (this.stopped) return;
    this.queue.push({ service, payload });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) {
      if (this.stopped) return;
      this.deliver(m.service, m.payload);
    }
    this.drained();
  };

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue = [];
  }
}
