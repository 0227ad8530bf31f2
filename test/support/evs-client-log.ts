// A recording client for EVS tests with real daemons: connects with the class client, joins one
// group, sends Agreed and Safe messages with unique ids (sender, incarnation, seq) at a steady
// pace, and records everything it receives with local timestamps. The logs of all clients of a
// run are what test/checkers/client-evs.ts checks.
//
//   const r = await EvsRecorder.connect({ spread: '23000@127.0.0.1', user: 'e1', group: 'evs' });
//   r.startSending();
//   ... faults; waitForViews(recorders, names, ms, what) until the clients show the views ...
//   await drain(recorders, ms);      // stop sending, wait until the live clients agree
//   checkClientLogs(allLogs, { group: 'evs' });   // test/checkers/client-evs.ts
//
// A log is one incarnation: one connection of one private name. Reconnecting the same name (after
// its daemon was killed and restarted) is a new recorder with `incarnation` one higher; keep the
// old recorder's log for the check. Also here: waitUntil, hasMembers, changesSince, dumpLogs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpreadConnection, SpreadMessage } from '../../client/index.ts';
import type { MembershipInfo } from '../../client/api/membership-info.ts';

export type ClientService = 'AGREED' | 'SAFE';
export type ViewReason = 'JOIN' | 'LEAVE' | 'DISCONNECT' | 'NETWORK';

export interface ViewEvent {
  readonly kind: 'view';
  readonly t: number;
  readonly group: string;
  /** The group id as "id1:id2:id3". */
  readonly groupId: string;
  readonly members: ReadonlyArray<string>;
  readonly vsSets: ReadonlyArray<ReadonlyArray<string>>;
  /** Index of my own vs set in vsSets (-1 if the daemon gave none). */
  readonly myVsSet: number;
  readonly reason: ViewReason;
}

export interface TransitionEvent {
  readonly kind: 'transition';
  readonly t: number;
  readonly group: string;
  /** The id of the view being left. */
  readonly groupId: string;
}

export interface SendEvent {
  readonly kind: 'send';
  readonly t: number;
  readonly key: string;
  readonly service: ClientService;
  readonly size: number;
}

export interface DataEvent {
  readonly kind: 'data';
  readonly t: number;
  /** The sender's private group name. */
  readonly sender: string;
  readonly groups: ReadonlyArray<string>;
  readonly service: ClientService | 'OTHER';
  /** The id carried in the payload ('' when unreadable). */
  readonly key: string;
  readonly size: number;
  /** The payload is exactly what `payloadFor(key, size)` makes. */
  readonly payloadOk: boolean;
}

/** The connection to the daemon broke (its daemon was killed): this incarnation ended. */
export interface LostEvent {
  readonly kind: 'lost';
  readonly t: number;
  readonly reason: string;
}

/** Something a correct daemon never sends (a reject, a self-leave, a malformed message). */
export interface AnomalyEvent {
  readonly kind: 'anomaly';
  readonly t: number;
  readonly text: string;
}

export type ClientEvent = ViewEvent | TransitionEvent | SendEvent | DataEvent | LostEvent | AnomalyEvent;

export interface ClientLog {
  readonly user: string;
  readonly privateName: string;
  readonly incarnation: number;
  /** When the connection was established (the incarnation's start). */
  readonly connectedAt: number;
  readonly events: ClientEvent[];
}

/** Milliseconds since the epoch with sub-millisecond resolution, one clock for every recorder. */
export const now = (): number => performance.timeOrigin + performance.now();

/** The message key for (user, incarnation, seq). */
export const messageKey = (user: string, incarnation: number, seq: number): string => `${user}.${incarnation}:${seq}`;

/** The payload of message `key`: "key|size|" then a filler derived from the key, `size` bytes in all. */
export function payloadFor(key: string, size: number): Uint8Array {
  const head = `${key}|${size}|`;
  const out = new Uint8Array(Math.max(size, head.length));
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  for (let i = head.length; i < out.length; i++) out[i] = 97 + ((h + i * 7) % 26);
  return out;
}

/** Reads the key back and checks every byte. */
export function readPayload(data: Uint8Array): { key: string; ok: boolean } {
  const text = new TextDecoder('latin1').decode(data.subarray(0, Math.min(data.length, 80)));
  const parts = text.split('|');
  if (parts.length < 3) return { key: '', ok: false };
  const key = parts[0]!;
  const size = Number(parts[1]);
  if (!Number.isInteger(size) || size !== data.length) return { key, ok: false };
  const want = payloadFor(key, size);
  return { key, ok: Buffer.compare(Buffer.from(want), Buffer.from(data)) === 0 };
}

/** Sizes cycle through 40..539 bytes: all one packet, several messages per packet. */
const sizeOf = (seq: number): number => 40 + ((seq * 37) % 500);

function viewReason(info: MembershipInfo): ViewReason {
  if (info.isCausedByNetwork()) return 'NETWORK';
  if (info.isCausedByJoin()) return 'JOIN';
  if (info.isCausedByLeave()) return 'LEAVE';
  return 'DISCONNECT';
}

function groupIdText(info: MembershipInfo): string {
  const id = info.getGroupID();
  return id === undefined ? '?' : id.getIDs().join(':');
}

export interface RecorderOptions {
  /** The daemon, as "port@host". */
  readonly spread: string;
  /** Private name (at most 10 characters). */
  readonly user: string;
  readonly group: string;
  /** Incarnation number of this private name (default 0). */
  readonly incarnation?: number;
  /** Pause between two sends, ms (default 20). */
  readonly intervalMs?: number;
  /** At most this many own messages sent and not yet delivered back (default 40). */
  readonly maxOutstanding?: number;
  /** Keep trying to connect this long, for a daemon that is still starting (default 30 000 ms). */
  readonly connectTimeoutMs?: number;
}

export class EvsRecorder {
  readonly log: ClientLog;
  private sending = false;
  private sendLoop: Promise<void> | undefined;
  private seq = 0;
  private readonly selfDelivered = new Set<string>();
  private readonly sentKeys: string[] = [];
  private closing = false;
  private readonly reading: Promise<void>;

  private constructor(
    private readonly conn: SpreadConnection,
    private readonly o: RecorderOptions,
    connectedAt: number,
  ) {
    this.log = { user: o.user, privateName: conn.privateGroup.name, incarnation: o.incarnation ?? 0, connectedAt, events: [] };
    this.reading = this.readLoop();
  }

  /** Connects (retrying while the daemon is not up yet), starts recording and joins the group. */
  static async connect(o: RecorderOptions): Promise<EvsRecorder> {
    const deadline = Date.now() + (o.connectTimeoutMs ?? 30_000);
    for (;;) {
      let conn: SpreadConnection | undefined;
      try {
        conn = await SpreadConnection.connect({ spread: o.spread, privateName: o.user, timeoutMs: 5000 });
        const r = new EvsRecorder(conn, o, now());
        await conn.join(o.group);
        return r;
      } catch (err) {
        conn?.kill();
        if (Date.now() > deadline) throw err;
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  get privateName(): string {
    return this.log.privateName;
  }

  /** The connection broke (not closed by us). */
  get lost(): boolean {
    return this.log.events.some((e) => e.kind === 'lost');
  }

  /** The last regular view received. */
  get view(): ViewEvent | undefined {
    for (let i = this.log.events.length - 1; i >= 0; i--) {
      const e = this.log.events[i]!;
      if (e.kind === 'view') return e;
    }
    return undefined;
  }

  /** The current event index, for `changesSince`. */
  mark(): number {
    return this.log.events.length;
  }

  /** Own messages sent and not yet delivered back. */
  get outstanding(): number {
    return this.sentKeys.length - this.selfDelivered.size;
  }

  /** Keys of the data messages delivered since the last view (in the current view). */
  deliveredInView(): string[] {
    const out: string[] = [];
    for (let i = this.log.events.length - 1; i >= 0; i--) {
      const e = this.log.events[i]!;
      if (e.kind === 'view') break;
      if (e.kind === 'data') out.push(e.key);
    }
    return out.reverse();
  }

  /** Starts sending Agreed and Safe messages in turn, paced and windowed. */
  startSending(): void {
    if (this.sending) return;
    this.sending = true;
    this.sendLoop = this.runSending();
  }

  /** Stops sending; resolves when the send loop has ended. */
  async stopSending(): Promise<void> {
    this.sending = false;
    await this.sendLoop;
  }

  private async runSending(): Promise<void> {
    const interval = this.o.intervalMs ?? 20;
    const window = this.o.maxOutstanding ?? 40;
    while (this.sending && !this.lost && this.conn.isOpen) {
      if (this.outstanding < window) {
        const seq = this.seq++;
        const key = messageKey(this.o.user, this.log.incarnation, seq);
        const size = sizeOf(seq);
        const service: ClientService = seq % 2 === 0 ? 'AGREED' : 'SAFE';
        const m = new SpreadMessage().addGroup(this.o.group).setData(payloadFor(key, size));
        if (service === 'SAFE') m.setSafe();
        else m.setAgreed();
        this.log.events.push({ kind: 'send', t: now(), key, service, size });
        this.sentKeys.push(key);
        // Not awaited: a daemon that stops reading its clients (as during the groups exchange)
        // must not stall this loop; the window above bounds what is queued. A failure means the
        // connection broke, which the read loop records.
        this.conn.multicast(m).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const m = await this.conn.receive();
        this.record(m);
      }
    } catch (err) {
      if (!this.closing) this.log.events.push({ kind: 'lost', t: now(), reason: err instanceof Error ? err.message : String(err) });
    }
  }

  private record(m: SpreadMessage): void {
    const t = now();
    const ev = this.log.events;
    if (m.isMembership()) {
      let info: MembershipInfo;
      try {
        info = m.getMembershipInfo();
      } catch (err) {
        ev.push({ kind: 'anomaly', t, text: `malformed membership message: ${String(err)}` });
        return;
      }
      const group = info.getGroup().name;
      if (info.isRegularMembership()) {
        ev.push({
          kind: 'view',
          t,
          group,
          groupId: groupIdText(info),
          members: info.getMembers().map((g) => g.name),
          vsSets: info.getVirtualSynchronySets().map((s) => s.members.map((g) => g.name)),
          myVsSet: info.getMyVirtualSynchronySetIndex(),
          reason: viewReason(info),
        });
      } else if (info.isTransition()) {
        ev.push({ kind: 'transition', t, group, groupId: groupIdText(info) });
      } else {
        ev.push({ kind: 'anomaly', t, text: `self-leave from ${group}, but this client never leaves` });
      }
      return;
    }
    if (m.isReject()) {
      ev.push({ kind: 'anomaly', t, text: `reject of a message to ${m.groupNames.join(',')}` });
      return;
    }
    const { key, ok } = readPayload(m.data);
    const service = m.isSafe() ? 'SAFE' : m.isAgreed() ? 'AGREED' : 'OTHER';
    ev.push({ kind: 'data', t, sender: m.sender?.name ?? '', groups: m.groupNames, service, key, size: m.data.length, payloadOk: ok });
    if (m.sender?.name === this.privateName) this.selfDelivered.add(key);
  }

  /** Stops sending and closes the connection (at once if the daemon does not take the disconnect within 2 s); the log ends here (not a loss). */
  async close(): Promise<void> {
    this.sending = false;
    await this.sendLoop;
    this.closing = true;
    if (this.conn.isOpen) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
      await Promise.race([this.conn.close().catch(() => {}), late]);
      clearTimeout(timer);
    }
    this.conn.kill();
    await this.reading;
  }
}

/** Polls `cond` every 50 ms until it holds; throws with `what()` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A regular view whose members are exactly `names` (in any order). */
export function hasMembers(v: ViewEvent | undefined, names: ReadonlyArray<string>): boolean {
  return v !== undefined && v.members.length === names.length && names.every((n) => v.members.includes(n));
}

/** Waits until every recorder's last view has exactly the members `names`. */
export function waitForViews(rs: ReadonlyArray<EvsRecorder>, names: ReadonlyArray<string>, timeoutMs: number, what: string): Promise<void> {
  return waitUntil(
    () => rs.every((r) => hasMembers(r.view, names)),
    timeoutMs,
    () => `${what}: ${rs.map((r) => `${r.privateName} [${r.view?.members.join(' ')}]`).join('; ')}`,
  );
}

/** The views and the number of transitional signals a recorder got since event index `from`. */
export function changesSince(r: EvsRecorder, from: number): { views: ViewEvent[]; signals: number } {
  const ev = r.log.events.slice(from);
  return { views: ev.filter((e): e is ViewEvent => e.kind === 'view'), signals: ev.filter((e) => e.kind === 'transition').length };
}

/**
 * Stops every recorder's sending and waits until the live ones are quiet and agree: each has its
 * own messages back, all show the same last view, and all delivered the same messages in it.
 */
export async function drain(recorders: ReadonlyArray<EvsRecorder>, timeoutMs: number): Promise<void> {
  const live = recorders.filter((r) => !r.lost);
  await Promise.all(live.map((r) => r.stopSending()));
  await waitUntil(
    () => {
      if (live.some((r) => r.lost || r.outstanding > 0)) return false;
      const ids = new Set(live.map((r) => r.view?.groupId));
      if (ids.size !== 1) return false;
      const sets = live.map((r) => r.deliveredInView().sort().join(','));
      return sets.every((s) => s === sets[0]);
    },
    timeoutMs,
    () => `the clients to drain: ${live.map((r) => `${r.privateName} view ${r.view?.groupId} [${r.view?.members}] outstanding ${r.outstanding} delivered-in-view ${r.deliveredInView().length}`).join('; ')}`,
  );
}

/** Writes the logs as JSON to a new temporary file (for a failed check, or EVS_LOG_DUMP=1); returns its path. */
export function dumpLogs(logs: ReadonlyArray<ClientLog>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'evs-logs-')), 'logs.json');
  writeFileSync(path, JSON.stringify(logs));
  return path;
}
