// The daemon's end of the monitor protocol: decodes control packets, applies the rules, builds
// the status record and performs the effects through the hooks the daemon shell gives it.
import { SPREAD_VERSION } from '../../client/wire/index.ts';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { DaemonLog } from '../logging.ts';
import { decodeControl, encodeControl, type ControlPacket } from '../wire/control.ts';
import { controlEffects } from './control-rules.ts';
import type { StatusRecord } from './status.ts';

export interface ControlHooks {
  readonly status: () => StatusRecord;
  readonly send: (bytes: Uint8Array, port: number, address: string) => void;
  readonly setPartition: (cells: ReadonlyArray<number> | undefined) => void;
  readonly terminate: () => void;
}

export class ControlChannel {
  refused = 0;

  constructor(
    private readonly config: SpreadConfig,
    private readonly self: DaemonSpec,
    private readonly log: DaemonLog,
    private readonly hooks: ControlHooks,
  ) {}

  onDatagram(bytes: Uint8Array, fromAddress: string): void {
    const d = decodeControl(bytes);
    if (typeof d === 'string') {
      this.log.log('STATUS', 'WARNING', `monitor packet from ${fromAddress} dropped: ${d}`);
      return;
    }
    const ctx = { config: this.config, self: this.self, dangerousMonitor: this.config.dangerousMonitor };
    const env = { configHash: this.config.configHash, transmitter: this.self.id };
    const reply = (p: ControlPacket, port: number, address: string): void => this.hooks.send(encodeControl(p, env), port, address);
    for (const e of controlEffects(ctx, d.env, d.packet, fromAddress)) {
      switch (e.kind) {
        case 'sendStatus':
          reply({ kind: 'statusReply', json: JSON.stringify(this.hooks.status()) }, e.port, e.address);
          break;
        case 'setPartition':
          this.log.log('STATUS', 'INFO', `monitor partition ${e.cells.join(' ')}`);
          this.hooks.setPartition(e.cells.every((c) => c === 0) ? undefined : e.cells);
          break;
        case 'terminate':
          this.log.log('EXIT', 'INFO', 'terminated by the monitor');
          this.hooks.terminate();
          break;
        case 'setFlowControl':
          // The ring core does not change windows at run time yet: say so rather than pretend.
          this.refused++;
          this.log.log('FLOW_CONTROL', 'WARNING', 'monitor flow control is not supported yet');
          break;
        case 'ack':
          reply({ kind: 'ack', accepted: e.accepted, reason: e.reason }, e.port, e.address);
          break;
        case 'refused':
          this.refused++;
          this.log.log('STATUS', 'WARNING', `monitor command from ${fromAddress} refused: ${e.reason}`);
          break;
      }
    }
  }
}

export const DAEMON_VERSION_TEXT = `${SPREAD_VERSION.major}.${String(SPREAD_VERSION.minor).padStart(2, '0')}.${String(SPREAD_VERSION.patch).padStart(2, '0')}`;
