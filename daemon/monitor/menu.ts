// The interactive monitor of the guide's Figure 2.8: a menu read line by line from any stream
// (a terminal, or a test writing to a pipe). Status records are printed as they arrive, in the
// layout of Figure 2.9. An active partition is re-sent every 25 s so that the daemons'
// auto-clear (60 s) does not fire while the monitor keeps it (design 5.9, 9.1).
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { DaemonSpec, SpreadConfig } from '../config/model.ts';
import type { ControlPacket } from '../wire/control.ts';
import {
  flowControlPacket,
  formatAcks,
  formatFlowControl,
  formatPartition,
  parseNumber,
  parseWindows,
  terminateCells,
  unchangedFlowControl,
  UNCHANGED,
  type FlowControlVector,
} from './commands.ts';
import type { MonitorClient, MonitorReply } from './monitor-client.ts';
import { formatStatus, parseStatusRecord, statusDeltas, type StatusRecord } from './status.ts';

export interface MenuOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** Seconds between status queries (-t; default 10). */
  readonly statusIntervalSec?: number;
  /** Re-send an active partition this often (default 25 s). */
  readonly partitionResendMs?: number;
  /** How long to wait for the daemons' acknowledgements (default 1000 ms). */
  readonly ackWaitMs?: number;
}

export const MENU_TEXT = [
  '',
  '=============',
  'Monitor Menu:',
  '-------------',
  '\t0. Activate/Deactivate Status {all, none, Proc, CR}',
  '',
  '\t1. Define Partition',
  '\t2. Send   Partition',
  '\t3. Review Partition',
  '\t4. Cancel Partition Effects',
  '',
  '\t5. Define Flow Control',
  '\t6. Send   Flow Control',
  '\t7. Review Flow Control',
  '',
  '\t8. Terminate Spread Daemons {all, none, Proc, CR}',
  '',
  '\t9. Exit',
  '',
].join('\n');

export const PROMPT = 'Monitor> ';

/** Thrown inside the menu when the input ends: the monitor says Bye and returns. */
class EndOfInput extends Error {}

export class MonitorMenu {
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;
  private readonly statusOn = new Set<DaemonSpec>();
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private partition: number[];
  private workPartition: number[];
  private partitionTimer: ReturnType<typeof setInterval> | undefined;
  private flowControl: FlowControlVector;
  private workFlowControl: FlowControlVector;
  private readonly previous = new Map<string, StatusRecord>();

  constructor(
    private readonly config: SpreadConfig,
    private readonly mon: MonitorClient,
    private readonly opts: MenuOptions,
  ) {
    this.rl = createInterface({ input: opts.input, terminal: false, crlfDelay: Infinity });
    this.lines = this.rl[Symbol.asyncIterator]();
    this.partition = config.daemons.map(() => 0);
    this.workPartition = [...this.partition];
    this.flowControl = unchangedFlowControl(config);
    this.workFlowControl = this.flowControl;
  }

  /** Runs until 9, q or the end of the input. */
  async run(): Promise<void> {
    const unsubscribe = this.mon.onReply((r) => this.onReply(r));
    this.say(`${MENU_TEXT}\n${PROMPT}`);
    try {
      for (;;) {
        const command = (await this.line()).trim();
        if (command === '9' || command === 'q') break;
        await this.command(command);
      }
    } catch (err) {
      if (!(err instanceof EndOfInput)) throw err;
    } finally {
      clearInterval(this.statusTimer);
      clearInterval(this.partitionTimer);
      unsubscribe();
      this.rl.close();
    }
    this.say('Bye.\n');
  }

  private async command(command: string): Promise<void> {
    switch (command) {
      case '':
        return this.say(PROMPT);
      case '0':
        await this.activateStatus();
        return this.say(`\n${PROMPT}`);
      case '1':
        await this.definePartition();
        return this.say(`\n${formatPartition(this.config, this.workPartition)}\n${PROMPT}`);
      case '2':
        this.partition = [...this.workPartition];
        await this.sendPartition();
        return this.say(`\n${PROMPT}`);
      case '3':
        return this.say(`\n${formatPartition(this.config, this.partition)}\n${PROMPT}`);
      case '4':
        this.partition = this.config.daemons.map(() => 0);
        this.workPartition = [...this.partition];
        await this.sendPartition();
        return this.say(`\n${PROMPT}`);
      case '5':
        await this.defineFlowControl();
        return this.say(`\n${formatFlowControl(this.config, this.workFlowControl)}\n${PROMPT}`);
      case '6':
        this.flowControl = this.workFlowControl;
        await this.sendAndReport([...this.config.daemons], flowControlPacket(this.flowControl, this.mon.replyPort, true));
        return this.say(`\n${PROMPT}`);
      case '7':
        return this.say(`\n${formatFlowControl(this.config, this.flowControl)}\n${PROMPT}`);
      case '8':
        await this.terminate();
        return this.say(`\n${PROMPT}`);
      default:
        return this.say(`\nUnknown command\n${MENU_TEXT}\n${PROMPT}`);
    }
  }

  // ---- 0: status --------------------------------------------------------------------------

  private async activateStatus(): Promise<void> {
    this.say('\n=============\nActivate Status\n-------------\n\n');
    for (;;) {
      const name = await this.ask('\tEnter Proc Name: ');
      if (name === '') break;
      if (name === 'all') for (const d of this.config.daemons) this.statusOn.add(d);
      else if (name === 'none') this.statusOn.clear();
      else {
        const d = this.config.daemons.find((x) => x.name === name);
        if (d === undefined) this.say('Please enter a legal proc name, none, or all\n');
        else this.statusOn.add(d);
      }
    }
    clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    if (this.statusOn.size === 0) return;
    const query = (): void => {
      for (const d of this.statusOn) this.mon.send(d, { kind: 'statusRequest', replyPort: this.mon.replyPort, wantAck: false });
    };
    query();
    this.statusTimer = setInterval(query, (this.opts.statusIntervalSec ?? 10) * 1000);
  }

  private onReply(r: MonitorReply): void {
    if (r.packet.kind !== 'statusReply') return;
    const record = parseStatusRecord(r.packet.json);
    if (record === undefined) return;
    this.say(`\n${formatStatus(record, statusDeltas(this.previous.get(record.daemon), record))}\n\n${PROMPT}`);
    this.previous.set(record.daemon, record);
  }

  // ---- 1-4: partition ---------------------------------------------------------------------

  private async definePartition(): Promise<void> {
    this.say('\n=============\nDefine Partition\n-------------\n\n');
    const work = [...this.workPartition];
    for (const seg of this.config.segments) {
      for (const d of seg.daemons) {
        for (;;) {
          const n = parseNumber(await this.ask(`\t${d.name}\t`));
          if (n !== undefined && n >= 0 && n <= 0x7fff) {
            work[d.order] = n;
            break;
          }
          this.say('Please enter a number\n');
        }
      }
      this.say('\n');
    }
    this.workPartition = work;
  }

  /** Sends the partition in force (all zero: cancel) and keeps re-sending it while it splits. */
  private async sendPartition(): Promise<void> {
    clearInterval(this.partitionTimer);
    this.partitionTimer = undefined;
    const cells = [...this.partition];
    await this.sendAndReport([...this.config.daemons], { kind: 'partition', cells, replyPort: this.mon.replyPort, wantAck: true });
    if (cells.every((c) => c === 0)) return;
    const resend = (): void => {
      for (const d of this.config.daemons) this.mon.send(d, { kind: 'partition', cells, replyPort: this.mon.replyPort, wantAck: false });
    };
    this.partitionTimer = setInterval(resend, this.opts.partitionResendMs ?? 25_000);
    this.partitionTimer.unref();
  }

  // ---- 5-7: flow control ------------------------------------------------------------------

  private async defineFlowControl(): Promise<void> {
    this.say('\n===================\nDefine Flow Control\n-------------------\n\n');
    let window: number;
    for (;;) {
      const text = await this.ask('    Window size: ');
      const n = text === '' ? UNCHANGED : parseNumber(text);
      if (n !== undefined) {
        window = n;
        break;
      }
      this.say('Please enter a number (empty: unchanged)\n');
    }
    this.say('\n');
    const perDaemon = [...this.workFlowControl.perDaemon];
    for (const seg of this.config.segments) {
      for (const d of seg.daemons) {
        for (;;) {
          const w = parseWindows(await this.ask(`\t${d.name}\t`));
          if (w !== undefined) {
            perDaemon[d.order] = w;
            break;
          }
          this.say('Please enter the personal window, or personal/accelerated (empty: unchanged)\n');
        }
      }
      this.say('\n');
    }
    this.workFlowControl = { window, perDaemon };
  }

  // ---- 8: terminate -----------------------------------------------------------------------

  private async terminate(): Promise<void> {
    const stop = new Set<string>();
    for (;;) {
      const name = await this.ask('\tEnter Proc Name to Terminate: ');
      if (name === '') break;
      if (name === 'all') for (const d of this.config.daemons) stop.add(d.name);
      else if (name === 'none') stop.clear();
      else if (this.config.daemons.some((d) => d.name === name)) stop.add(name);
      else this.say('Please enter a legal proc name, none, or all\n');
    }
    if (stop.size === 0) return;
    const cells = terminateCells(this.config, stop, this.partition);
    for (const name of stop) this.say(`Monitor: terminating ${name}\n`);
    await this.sendAndReport(this.config.daemons.filter((d) => stop.has(d.name)), { kind: 'partition', cells, replyPort: this.mon.replyPort, wantAck: true });
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private async sendAndReport(daemons: DaemonSpec[], packet: ControlPacket): Promise<void> {
    const acks = await this.mon.command(daemons, packet, this.opts.ackWaitMs ?? 1000);
    for (const l of formatAcks(acks, daemons).lines) this.say(`${l}\n`);
  }

  private async ask(question: string): Promise<string> {
    this.say(question);
    return (await this.line()).trim();
  }

  private async line(): Promise<string> {
    const r = await this.lines.next();
    if (r.done === true) throw new EndOfInput();
    return r.value;
  }

  private say(text: string): void {
    this.opts.output.write(text);
  }
}
