// What the monitor sends and prints, shared by the menu and the subcommands: choosing daemons,
// the partition and flow-control vectors, and the texts of the guide's monitor. Pure.
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { ControlPacket } from '../wire/control.ts';

/** -1 in a flow-control field: leave that value as it is. */
export const UNCHANGED = -1;

/** The flow control the monitor defines: Window for all, [personal, accelerated] per daemon in file order. */
export interface FlowControlVector {
  readonly window: number;
  readonly perDaemon: ReadonlyArray<readonly [number, number]>;
}

export interface Ack {
  readonly accepted: boolean;
  readonly reason: string;
}

/** The daemons named (all when none), or an error naming the unknown one. */
export function pickDaemons(config: SpreadConfig, names: ReadonlyArray<string> | undefined): DaemonSpec[] {
  if (names === undefined || names.length === 0) return [...config.daemons];
  return names.map((n) => {
    const d = config.daemons.find((x) => x.name === n);
    if (d === undefined) throw new Error(`no daemon '${n}' in the configuration (${config.daemons.map((x) => x.name).join(', ')})`);
    return d;
  });
}

/** Terminate: -1 for the daemons to stop, the partition in force for the others (as Spread's monitor). */
export function terminateCells(config: SpreadConfig, stop: ReadonlySet<string>, partition: ReadonlyArray<number>): number[] {
  return config.daemons.map((d, i) => (stop.has(d.name) ? -1 : (partition[i] ?? 0)));
}

/** Nothing changes: the starting point of a flow-control definition. */
export function unchangedFlowControl(config: SpreadConfig): FlowControlVector {
  return { window: UNCHANGED, perDaemon: config.daemons.map(() => [UNCHANGED, UNCHANGED] as const) };
}

/** Window for everyone and the personal (and accelerated) window of the daemons named (all when none). */
export function flowControlFor(
  config: SpreadConfig,
  window: number,
  personalWindow: number,
  acceleratedWindow: number = UNCHANGED,
  names?: ReadonlyArray<string>,
): FlowControlVector {
  const chosen = new Set(pickDaemons(config, names).map((d) => d.name));
  return {
    window,
    perDaemon: config.daemons.map((d) => (chosen.has(d.name) ? [personalWindow, acceleratedWindow] : [UNCHANGED, UNCHANGED])),
  };
}

export function flowControlPacket(fc: FlowControlVector, replyPort: number, wantAck: boolean): ControlPacket {
  return { kind: 'flowControl', window: fc.window, perDaemon: fc.perDaemon, replyPort, wantAck };
}

/** A whole number typed at the menu; undefined when it is not one. */
export function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return undefined;
  return Number(t);
}

/**
 * A flow-control entry typed at the menu: `P` or `P/A` (personal, accelerated window); an empty
 * line leaves both unchanged. Undefined when it is neither.
 */
export function parseWindows(text: string): readonly [number, number] | undefined {
  const t = text.trim();
  if (t === '') return [UNCHANGED, UNCHANGED];
  const m = /^(-?\d+)(?:\s*\/\s*(-?\d+))?$/.exec(t);
  if (m === null) return undefined;
  return [Number(m[1]), m[2] === undefined ? UNCHANGED : Number(m[2])];
}

const show = (v: number): string => (v < 0 ? 'unchanged' : String(v));

/** "Partition Map": each daemon's cell, segment by segment. */
export function formatPartition(config: SpreadConfig, cells: ReadonlyArray<number>): string {
  const lines = ['=============', 'Partition Map:', '-------------', ''];
  for (const seg of config.segments) {
    for (const d of seg.daemons) lines.push(`\t${d.name}\t${cells[d.order] ?? 0}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** "Flow Control Parameters": the window, then each daemon's personal/accelerated window. */
export function formatFlowControl(config: SpreadConfig, fc: FlowControlVector): string {
  const lines = ['========================', 'Flow Control Parameters:', '------------------------', '', `Window size:  ${show(fc.window)}`, ''];
  for (const seg of config.segments) {
    for (const d of seg.daemons) {
      const [pw, aw] = fc.perDaemon[d.order] ?? [UNCHANGED, UNCHANGED];
      lines.push(`\t${d.name}\t${show(pw)}${aw >= 0 ? `/${aw}` : ''}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** One line per daemon asked: accepted, REFUSED with the daemon's reason, or no answer. */
export function formatAcks(acks: ReadonlyMap<string, Ack>, asked: ReadonlyArray<DaemonSpec>): { lines: string[]; ok: boolean } {
  let ok = true;
  const lines = asked.map((d) => {
    const a = acks.get(d.name);
    if (a === undefined) {
      ok = false;
      return `${d.name}: no answer`;
    }
    ok &&= a.accepted;
    return `${d.name}: ${a.accepted ? 'accepted' : 'REFUSED'} (${a.reason})`;
  });
  return { lines, ok };
}
