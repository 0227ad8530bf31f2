// Orders client messages through the ring (several daemons): the session and group layers see
// the same Orderer interface as with one daemon, and every daemon delivers the same sequence.
import type { RingDriver } from './net/ring-driver.ts';
import type { DeliverHandler, Orderer, PacketClass } from './orderer.ts';

export class RingOrderer implements Orderer {
  private deliver: DeliverHandler = () => {};
  private drained: () => void = () => {};
  private drainScheduled = false;

  constructor(private readonly driver: RingDriver) {
    driver.onDeliver((d) => {
      const p = d.payload;
      this.deliver(d.service, Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
      this.scheduleDrained();
    });
  }

  get downQueueLength(): number {
    return this.driver.downQueueLength;
  }

  submit(service: PacketClass, payload: Buffer): void {
    this.driver.submit({ service, payload });
  }

  onDeliver(handler: DeliverHandler): void {
    this.deliver = handler;
  }

  onDrained(handler: () => void): void {
    this.drained = handler;
  }

  /** The token takes messages off the down queue; once per turn is often enough to look. */
  private scheduleDrained(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drained();
    });
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }
}
