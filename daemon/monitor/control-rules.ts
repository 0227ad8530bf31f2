// What a daemon does with a monitor control packet (design 9.1, 9.3): who may send it, which
// commands DangerousMonitor gates, and what each command changes. Pure.
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { ControlEnvelope, ControlPacket } from '../wire/control.ts';

export type ControlEffect =
  | { readonly kind: 'sendStatus'; readonly address: string; readonly port: number }
  /** One cell per configured daemon; all zero clears the partition. */
  | { readonly kind: 'setPartition'; readonly cells: ReadonlyArray<number> }
  | { readonly kind: 'terminate' }
  /** Re-read the configuration file; the verdict goes to `port` at `address` when asked for. */
  | { readonly kind: 'reload'; readonly address: string; readonly port: number; readonly wantAck: boolean }
  | { readonly kind: 'setFlowControl'; readonly window?: number; readonly personalWindow?: number; readonly acceleratedWindow?: number }
  | { readonly kind: 'ack'; readonly address: string; readonly port: number; readonly accepted: boolean; readonly reason: string }
  | { readonly kind: 'refused'; readonly reason: string };

export interface ControlContext {
  readonly config: SpreadConfig;
  readonly self: DaemonSpec;
  readonly dangerousMonitor: boolean;
  /** The flow control in force, against which a partial change is checked. */
  readonly window: number;
  readonly personalWindow: number;
}

export function controlEffects(ctx: ControlContext, env: ControlEnvelope, p: ControlPacket, sourceAddress: string): ControlEffect[] {
  const { config, self } = ctx;
  // A reload comes from a monitor that already runs the new file, so its hash may differ.
  if (env.configHash !== config.configHash && p.kind !== 'reload') return [{ kind: 'refused', reason: 'configuration hash differs' }];
  const sender = config.daemons.find((d) => d.id === env.transmitter);
  if (sender === undefined) return [{ kind: 'refused', reason: `transmitter ${env.transmitter} is not a configured daemon` }];
  if (sender.address !== sourceAddress) return [{ kind: 'refused', reason: `sent from ${sourceAddress}, not ${sender.name}'s address ${sender.address}` }];
  const reply = (accepted: boolean, reason: string, port: number, wantAck: boolean): ControlEffect[] =>
    wantAck ? [{ kind: 'ack', address: sender.address, port, accepted, reason }] : [];
  switch (p.kind) {
    case 'statusRequest':
      return [{ kind: 'sendStatus', address: sender.address, port: p.replyPort }];
    case 'partition': {
      if (!ctx.dangerousMonitor)
        return [{ kind: 'refused', reason: 'partition refused: DangerousMonitor is off' }, ...reply(false, 'DangerousMonitor is off', p.replyPort, p.wantAck)];
      if (p.cells.length !== config.daemons.length)
        return [{ kind: 'refused', reason: `partition for ${p.cells.length} daemons, configuration has ${config.daemons.length}` }, ...reply(false, 'wrong number of daemons', p.replyPort, p.wantAck)];
      if (p.cells.some((c) => c < -1))
        return [{ kind: 'refused', reason: `partition with a negative cell number: ${p.cells.join(' ')}` }, ...reply(false, 'negative cell number', p.replyPort, p.wantAck)];
      const mine = p.cells[self.order]!;
      if (mine === -1) return [...reply(true, 'terminating', p.replyPort, p.wantAck), { kind: 'terminate' }];
      return [{ kind: 'setPartition', cells: p.cells.map((c) => (c === -1 ? mine : c)) }, ...reply(true, 'partition applied', p.replyPort, p.wantAck)];
    }
    case 'flowControl': {
      if (!ctx.dangerousMonitor)
        return [{ kind: 'refused', reason: 'flow control refused: DangerousMonitor is off' }, ...reply(false, 'DangerousMonitor is off', p.replyPort, p.wantAck)];
      const mine = p.perDaemon[self.order];
      const set = (v: number | undefined): number | undefined => (v === undefined || v < 0 ? undefined : v);
      const window = set(p.window);
      const personalWindow = set(mine?.[0]);
      const acceleratedWindow = set(mine?.[1]);
      const refuse = (reason: string): ControlEffect[] => [{ kind: 'refused', reason: `flow control refused: ${reason}` }, ...reply(false, reason, p.replyPort, p.wantAck)];
      if (window === 0 || personalWindow === 0) return refuse('a window of 0 would stop the ring');
      const effective = { window: window ?? ctx.window, personal: personalWindow ?? ctx.personalWindow };
      if (effective.personal > effective.window) return refuse(`personal window ${effective.personal} above window ${effective.window}`);
      return [{ kind: 'setFlowControl', window, personalWindow, acceleratedWindow }, ...reply(true, 'flow control applied', p.replyPort, p.wantAck)];
    }
    case 'reload':
      if (!ctx.dangerousMonitor)
        return [{ kind: 'refused', reason: 'reload refused: DangerousMonitor is off' }, ...reply(false, 'DangerousMonitor is off', p.replyPort, p.wantAck)];
      return [{ kind: 'reload', address: sender.address, port: p.replyPort, wantAck: p.wantAck }];
    default:
      return [{ kind: 'refused', reason: `unexpected ${p.kind} packet` }];
  }
}
