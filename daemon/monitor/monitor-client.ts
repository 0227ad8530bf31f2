// The monitor's side of the control protocol (design 9.1): a UDP socket bound on the address of
// the configured daemon the monitor speaks for, sending control packets to daemons' data ports
// and collecting their replies. An adapter: no protocol rule beyond addressing.
import { createSocket, type Socket } from 'node:dgram';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import { decodeControl, encodeControl, type ControlPacket } from '../wire/control.ts';
import { parseStatusRecord, type StatusRecord } from './status.ts';

export interface MonitorReply {
  readonly from: DaemonSpec;
  readonly packet: ControlPacket;
}

export class MonitorClient {
  private socket: Socket | undefined;
  private readonly waiters = new Set<(r: MonitorReply) => void>();

  constructor(
    private readonly config: SpreadConfig,
    /** The configured daemon whose identity (id and address) the monitor uses. */
    private readonly self: DaemonSpec,
    /** Local UDP port for replies; 0 picks a free one. */
    private readonly port = 0,
  ) {}

  async open(): Promise<void> {
    const s = createSocket({ type: this.self.address.includes(':') ? 'udp6' : 'udp4' });
    s.on('message', (msg, rinfo) => {
      const from = this.config.daemons.find((d) => d.address === rinfo.address && d.port === rinfo.port)
        ?? this.config.daemons.find((d) => d.address === rinfo.address);
      const d = decodeControl(msg);
      if (from === undefined || typeof d === 'string') return;
      // an acknowledgement may come from a daemon that refused a reload and runs the old file
      if (d.env.configHash !== this.config.configHash && d.packet.kind !== 'ack') return;
      for (const w of this.waiters) w({ from, packet: d.packet });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(this.port, this.self.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    this.socket = s;
  }

  get replyPort(): number {
    return this.socket!.address().port;
  }

  send(to: DaemonSpec, packet: ControlPacket): void {
    const bytes = encodeControl(packet, { configHash: this.config.configHash, transmitter: this.self.id });
    this.socket!.send(bytes, to.port, to.address);
  }

  /** Calls `cb` with every reply from now on (the menu prints status records as they come). */
  onReply(cb: (r: MonitorReply) => void): () => void {
    this.waiters.add(cb);
    return () => this.waiters.delete(cb);
  }

  /** Collects replies for `ms` milliseconds, or until `done` says enough. */
  collect(ms: number, done: (replies: MonitorReply[]) => boolean = () => false): Promise<MonitorReply[]> {
    return new Promise((resolve) => {
      const got: MonitorReply[] = [];
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(onReply);
        resolve(got);
      };
      const onReply = (r: MonitorReply): void => {
        got.push(r);
        if (done(got)) finish();
      };
      const timer = setTimeout(finish, ms);
      this.waiters.add(onReply);
    });
  }

  /** Asks each daemon for its status record; daemons that do not answer within `ms` are absent. */
  async status(daemons: ReadonlyArray<DaemonSpec>, ms = 1000): Promise<Map<string, StatusRecord>> {
    const pending = this.collect(ms, (r) => r.filter((x) => x.packet.kind === 'statusReply').length >= daemons.length);
    for (const d of daemons) this.send(d, { kind: 'statusRequest', replyPort: this.replyPort, wantAck: false });
    const out = new Map<string, StatusRecord>();
    for (const r of await pending) {
      const record = r.packet.kind === 'statusReply' ? parseStatusRecord(r.packet.json) : undefined;
      if (record !== undefined) out.set(r.from.name, record);
    }
    return out;
  }

  /** Sends a command that changes daemons and waits for their acknowledgements. */
  async command(daemons: ReadonlyArray<DaemonSpec>, packet: ControlPacket, ms = 1000): Promise<Map<string, { accepted: boolean; reason: string }>> {
    const pending = this.collect(ms, (r) => r.filter((x) => x.packet.kind === 'ack').length >= daemons.length);
    for (const d of daemons) this.send(d, packet);
    const out = new Map<string, { accepted: boolean; reason: string }>();
    for (const r of await pending) if (r.packet.kind === 'ack') out.set(r.from.name, { accepted: r.packet.accepted, reason: r.packet.reason });
    return out;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
