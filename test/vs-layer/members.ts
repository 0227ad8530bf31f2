// A VS group member that records what it sees (views, transitional signals, messages) and sends
// all along, for the checker: shared by the churn and fault tests.
import assert from 'node:assert/strict';
import type { VsConnection } from '../../vs-layer/connection.ts';
import type { VsGroup } from '../../vs-layer/group.ts';
import type { ServiceLevel, VsView } from '../../vs-layer/types.ts';
import type { SentRecord, TraceEvent } from './checker.ts';
import { bytes, text, until } from './helpers.ts';

export interface RecordingMember {
  readonly name: string;
  readonly conn: VsConnection;
  readonly group: VsGroup;
  readonly events: TraceEvent[];
  readonly sent: SentRecord[];
  readonly views: VsView[];
  sending: boolean;
  sender: Promise<void>;
  /** The stream completed or errored (the connection is gone). */
  ended: boolean;
  error: Error | undefined;
}

export interface SendPlan {
  /** The service of message `seq`. */
  readonly serviceOf: (seq: number) => ServiceLevel;
  /** Pause between two sends. */
  readonly pauseMs: number;
}

/** Joins `groupName` on `conn`, records the group's events and starts sending. */
export async function recordingMember(conn: VsConnection, groupName: string, plan: SendPlan): Promise<RecordingMember> {
  const group = await conn.join(groupName);
  const m: RecordingMember = { name: conn.privateName, conn, group, events: [], sent: [], views: [], sending: true, sender: Promise.resolve(), ended: false, error: undefined };
  group.events$.subscribe({
    next: (e) => {
      if (e.kind === 'view') {
        m.views.push(e.view);
        m.events.push({ kind: 'view', viewId: e.view.id, members: e.view.members, cameWithMe: e.view.cameWithMe });
      } else if (e.kind === 'transitional') m.events.push({ kind: 'transitional', viewId: e.viewId });
      else if (e.kind === 'left') m.events.push({ kind: 'left' });
      else if (e.kind === 'message') {
        const [id, seq] = text(e.message.payload).split('|');
        m.events.push({ kind: 'message', viewId: e.message.viewId, sender: e.message.sender, id: id!, seq: Number(seq) });
      }
    },
    complete: () => (m.ended = true),
    error: (err: Error) => {
      m.ended = true;
      m.error = err;
    },
  });
  m.sender = sendLoop(m, plan);
  return m;
}

/** Sends one message every few milliseconds (several services, some subgroup casts) until stopped or refused. */
async function sendLoop(m: RecordingMember, plan: SendPlan): Promise<void> {
  for (let seq = 1; m.sending; seq++) {
    const id = `${m.name}:${seq}`;
    const service = plan.serviceOf(seq);
    const view = m.group.currentView();
    const sub = seq % 10 === 0 && view !== undefined ? view.members.filter((_, i) => i % 2 === seq % 2) : [];
    try {
      const r = sub.length > 0 ? await m.group.sendTo(sub, bytes(`${id}|${seq}`), { service }) : await m.group.send(bytes(`${id}|${seq}`), { service });
      m.sent.push({ id, sender: m.name, seq, viewId: r.viewId, ...(sub.length > 0 ? { receivers: sub } : {}) });
    } catch (err) {
      if ((err as Error).name === 'VsIllegalReceiversError') continue; // the view moved under us
      return; // left, closed, killed or the daemon is gone
    }
    await new Promise((r) => setTimeout(r, plan.pauseMs));
  }
}

/** Waits until every member of `side` has installed one view with exactly the members of `side`; returns its id. */
export async function settledView(side: readonly RecordingMember[], what: string, timeoutMs: number): Promise<string> {
  const want = side.map((m) => m.name).sort().join(',');
  await until(() => side.every((m) => [...(m.group.currentView()?.members ?? [])].sort().join(',') === want), timeoutMs, what);
  const ids = new Set(side.map((m) => m.group.currentView()!.id));
  assert.equal(ids.size, 1, `${what}: one view id`);
  return [...ids][0]!;
}
