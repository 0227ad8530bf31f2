// Orders client messages through the ring (several daemons): the session and group layers see
// the same Orderer interface as with one daemon, and every daemon delivers the same sequence,
// with the daemon configuration changes in their place in it.
import type { RingDriver } from './net/ring-driver.ts';
import type { ConfigurationHandler, DeliverHandler, Orderer, PacketClass } from './orderer.ts';

export class RingOrderer implements Orderer {
  private deliver: DeliverHandler = () => {};
  private configuration: ConfigurationHandler = () => {};
  private drained: () => void = () => {};
  private drainScheduled = false;

  constructor(
    private readonly driver: RingDriver,
    /** Daemon names for ids, in the order given. */
    private readonly names: (ids: ReadonlyArray<number>) => string[],
  ) {
    driver.onDeliver((u) => {
      if (u.type === 'message') {
        const p = u.payload;
        this.deliver(u.service, Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
      } else if (u.type === 'transitional') {
        this.configuration({ type: 'transitional', id: u.configId, daemons: this.names(u.members) });
      } else {
        this.configuration({ type: 'regular', id: u.ringId, daemons: this.names(u.members) });
      }
      this.scheduleDrained();
    });
  }

  get downQueueLength(): number {
    return this.driver.downQueueLength;
  }

  submit(service: PacketClass, payload: Buffer): void {
    this.driver.submit({ service, payload });
  }

  submitGroups(service: PacketClass, payload: Buffer): void {
    this.driver.submit({ service, payload }, 'groups');
  }

  /** During the GROUPS exchange the token drains the GROUPS queue and delivery is in total order only. */
  setGroupsExchange(on: boolean): void {
    this.driver.useGroupsQueue(on);
    this.driver.setDeliveryThreshold(on ? 'AGREED' : 'UNRELIABLE');
  }

  onDeliver(handler: DeliverHandler): void {
    this.deliver = handler;
  }

  onConfiguration(handler: ConfigurationHandler): void {
    this.configuration = handler;
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
