// The daemon's end of the monitor protocol: decodes control packets, applies the rules, builds
// the status record and performs the effects through the hooks the daemon shell gives it. It
// owns one timer: a partition the monitor stops refreshing clears itself (design 9.1, 9.3).
import { SPREAD_VERSION } from '../../client/wire/index.ts';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { DaemonLog } from '../logging.ts';
import type { FlowControlValues } from '../ring/index.ts';
import { decodeControl, encodeControl, type ControlPacket } from '../wire/control.ts';
import { controlEffects } from './control-rules.ts';
import type { StatusRecord } from './status.ts';

/** A partition not refreshed by the monitor within this time is cleared (Spread: 60 s). */
export const PARTITION_AUTO_CLEAR_MS = 60_000;

export interface ControlHooks {
  readonly status: () => StatusRecord;
  readonly send: (bytes: Uint8Array, port: number, address: string) => void;
  readonly setPartition: (cells: ReadonlyArray<number> | undefined) => void;
  /** Undefined values stay as they are. */
  readonly setFlowControl: (fc: Partial<FlowControlValues>) => void;
  readonly terminate: () => void;
  /** Re-reads the configuration; resolves whether the new file was taken. */
  readonly reload: () => Promise<boolean>;
}

export interface ControlChannelOptions {
  /** Default PARTITION_AUTO_CLEAR_MS. */
  readonly partitionAutoClearMs?: number;
}

export class ControlChannel {
  /** Control packets refused or undecodable. */
  refused = 0;
  private autoClear: ReturnType<typeof setTimeout> | undefined;
  private readonly autoClearMs: number;

  constructor(
    private config: SpreadConfig,
    private readonly self: DaemonSpec,
    private readonly log: DaemonLog,
    private readonly hooks: ControlHooks,
    opts: ControlChannelOptions = {},
  ) {
    this.autoClearMs = opts.partitionAutoClearMs ?? PARTITION_AUTO_CLEAR_MS;
  }

  /** A reloaded configuration: its hosts, hash and DangerousMonitor from now on. */
  reconfigure(config: SpreadConfig): void {
    this.config = config;
  }

  onDatagram(bytes: Uint8Array, fromAddress: string): void {
    const d = decodeControl(bytes);
    if (typeof d === 'string') {
      this.refused++;
      this.log.log('SECURITY', 'WARNING', `monitor packet from ${fromAddress} dropped: ${d}`);
      return;
    }
    const current = this.hooks.status();
    const ctx = {
      config: this.config,
      self: this.self,
      dangerousMonitor: this.config.dangerousMonitor,
      window: current.window,
      personalWindow: current.personalWindow,
    };
    const env = { configHash: this.config.configHash, transmitter: this.self.id };
    const reply = (p: ControlPacket, port: number, address: string): void => this.hooks.send(encodeControl(p, env), port, address);
    for (const e of controlEffects(ctx, d.env, d.packet, fromAddress)) {
      switch (e.kind) {
        case 'sendStatus':
          this.log.log('STATUS', 'INFO', `status sent to the monitor at ${e.address}:${e.port}`);
          reply({ kind: 'statusReply', json: JSON.stringify(current) }, e.port, e.address);
          break;
        case 'setPartition':
          this.applyPartition(e.cells.every((c) => c === 0) ? undefined : e.cells);
          break;
        case 'terminate':
          this.log.log('EXIT', 'INFO', `terminated by the monitor at ${fromAddress}`);
          this.hooks.terminate();
          break;
        case 'setFlowControl': {
          this.hooks.setFlowControl({ window: e.window, personalWindow: e.personalWindow, acceleratedWindow: e.acceleratedWindow });
          const now = this.hooks.status();
          this.log.log('FLOW_CONTROL', 'INFO', `monitor flow control: window ${now.window}, personal window ${now.personalWindow}, accelerated window ${now.acceleratedWindow}`);
          break;
        }
        case 'ack':
          reply({ kind: 'ack', accepted: e.accepted, reason: e.reason }, e.port, e.address);
          break;
        case 'reload':
          this.log.log('CONFIGURATION', 'INFO', `reload asked by the monitor at ${fromAddress}`);
          void this.hooks.reload().then((taken) => {
            if (!e.wantAck) return;
            // signed with the configuration in force after the reload, which the monitor runs
            const ack: ControlPacket = { kind: 'ack', accepted: taken, reason: taken ? 'configuration reloaded' : 'reload refused: see the daemon log' };
            this.hooks.send(encodeControl(ack, { configHash: this.config.configHash, transmitter: this.self.id }), e.port, e.address);
          });
          break;
        case 'refused':
          this.refused++;
          this.log.log('SECURITY', 'WARNING', `monitor command from ${fromAddress} refused: ${e.reason}`);
          break;
      }
    }
  }

  /** Clears the auto-clear timer (daemon shutdown). */
  close(): void {
    clearTimeout(this.autoClear);
    this.autoClear = undefined;
  }

  private applyPartition(cells: ReadonlyArray<number> | undefined): void {
    this.log.log('NETWORK', 'INFO', cells === undefined ? 'monitor cleared the partition' : `monitor partition: cells ${cells.join(' ')}`);
    this.hooks.setPartition(cells);
    clearTimeout(this.autoClear);
    this.autoClear = undefined;
    if (cells === undefined) return;
    this.log.log('EVENTS', 'INFO', `partition clears itself in ${this.autoClearMs / 1000} s unless the monitor sends it again`);
    this.autoClear = setTimeout(() => {
      this.autoClear = undefined;
      this.log.log('NETWORK', 'INFO', 'partition not refreshed by the monitor: cleared');
      this.hooks.setPartition(undefined);
    }, this.autoClearMs);
    this.autoClear.unref();
  }
}

export const DAEMON_VERSION_TEXT = `${SPREAD_VERSION.major}.${String(SPREAD_VERSION.minor).padStart(2, '0')}.${String(SPREAD_VERSION.patch).padStart(2, '0')}`;
