// View Synchrony on a real daemon: members join, leave, disconnect and get their sockets killed
// while every member sends continuously (several services, some subgroup casts). Each member's
// stream is recorded and the VS checker runs over all of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningDaemon } from '../../daemon/index.ts';
import type { VsConnection } from '../../vs-layer/connection.ts';
import type { VsGroup } from '../../vs-layer/group.ts';
import type { ServiceLevel, VsView } from '../../vs-layer/types.ts';
import { checkVs, type MemberTrace, type SentRecord, type TraceEvent } from './checker.ts';
import { bytes, connect, daemon, text, until } from './helpers.ts';

let d: RunningDaemon;
before(async () => {
  d = await daemon('vsr1');
});
after(async () => {
  await d?.stop();
});

const GROUP = 'churn';
const SERVICES: readonly ServiceLevel[] = ['agreed', 'fifo', 'safe', 'reliable', 'causal', 'fifo'];

interface Member {
  readonly name: string;
  readonly conn: VsConnection;
  readonly group: VsGroup;
  readonly events: TraceEvent[];
  readonly sent: SentRecord[];
  readonly views: VsView[];
  sending: boolean;
  sender: Promise<void>;
  ended: boolean;
}

async function member(name: string): Promise<Member> {
  const conn = await connect(d, name);
  const group = await conn.join(GROUP);
  const m: Member = { name: conn.privateName, conn, group, events: [], sent: [], views: [], sending: true, sender: Promise.resolve(), ended: false };
  group.events$.subscribe({
    next: (e) => {
      if (e.kind === 'view') {
        m.views.push(e.view);
        m.events.push({ kind: 'view', viewId: e.view.id, members: e.view.members, cameWithMe: e.view.cameWithMe });
      }
      else if (e.kind === 'transitional') m.events.push({ kind: 'transitional', viewId: e.viewId });
      else if (e.kind === 'left') m.events.push({ kind: 'left' });
      else if (e.kind === 'message') {
        const [id, seq] = text(e.message.payload).split('|');
        m.events.push({ kind: 'message', viewId: e.message.viewId, sender: e.message.sender, id: id!, seq: Number(seq) });
      }
    },
    complete: () => (m.ended = true),
    error: () => (m.ended = true),
  });
  m.sender = sendLoop(m);
  return m;
}

/** Sends one message every few milliseconds until stopped or refused. */
async function sendLoop(m: Member): Promise<void> {
  for (let seq = 1; m.sending; seq++) {
    const id = `${m.name}:${seq}`;
    const service = SERVICES[seq % SERVICES.length]!;
    const view = m.group.currentView();
    const sub = seq % 10 === 0 && view !== undefined ? view.members.filter((_, i) => i % 2 === seq % 2) : undefined;
    try {
      const r =
        sub !== undefined && sub.length > 0
          ? await m.group.sendTo(sub, bytes(`${id}|${seq}`), { service })
          : await m.group.send(bytes(`${id}|${seq}`), { service });
      m.sent.push({ id, sender: m.name, seq, viewId: r.viewId, ...(sub !== undefined && sub.length > 0 ? { receivers: sub } : {}) });
    } catch (err) {
      if ((err as Error).name === 'VsIllegalReceiversError') continue; // the view moved under us
      return; // left, closed or killed
    }
    await new Promise((r) => setTimeout(r, 3));
  }
}

/** Waits until every live member has installed a view with exactly `names`. */
async function settled(live: readonly Member[], what: string): Promise<string> {
  const want = live.map((m) => m.name).sort().join(',');
  await until(() => live.every((m) => [...(m.group.currentView()?.members ?? [])].sort().join(',') === want), 20_000, what);
  const ids = new Set(live.map((m) => m.group.currentView()!.id));
  assert.equal(ids.size, 1, `${what}: one view id`);
  return [...ids][0]!;
}

const traffic = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('joins, leaves, disconnects and killed sockets under continuous traffic keep the VS properties', async () => {
  const all: Member[] = [];
  const add = async (name: string): Promise<Member> => {
    const m = await member(name);
    all.push(m);
    return m;
  };
  const a = await add('ch-a');
  const b = await add('ch-b');
  const c = await add('ch-c');
  await settled([a, b, c], 'three members');
  await traffic();

  const dd = await add('ch-d');
  await settled([a, b, c, dd], 'd joined');
  await traffic();

  await b.group.leave(); // b's send loop stops on its refusal
  b.sending = false;
  await settled([a, c, dd], 'b left');
  await traffic();

  // Cascade: two joins and a kill in quick succession.
  const [e, f] = await Promise.all([add('ch-e'), add('ch-f')]);
  c.conn.kill();
  c.sending = false;
  await settled([a, dd, e, f], 'e and f joined, c killed');
  await traffic();

  await dd.conn.close(); // a disconnect
  dd.sending = false;
  await settled([a, e, f], 'd disconnected');
  await traffic();

  const g = await add('ch-g');
  f.conn.kill();
  f.sending = false;
  const h = await add('ch-h');
  await settled([a, e, g, h], 'g and h joined, f killed');
  await traffic(250);

  // Stop the traffic, let every queued send go out, then one more change so that the last
  // traffic view has a successor the checker can compare.
  for (const m of all) m.sending = false;
  await Promise.all(all.map((m) => m.sender));
  await traffic(100);
  await e.group.leave();
  const final = await settled([a, g, h], 'e left');

  const traces: MemberTrace[] = all.map((m) => ({ member: m.name, events: m.events, sent: m.sent }));
  const violations = checkVs(traces);
  assert.deepEqual(violations, []);

  // The run did what it claims: traffic in many views, the expected departures.
  const messages = traces.reduce((n, t) => n + t.events.filter((x) => x.kind === 'message').length, 0);
  assert.ok(messages > 300, `enough messages delivered (${messages})`);
  const views = new Set(traces.flatMap((t) => t.events.flatMap((x) => (x.kind === 'view' ? [x.viewId] : []))));
  assert.ok(views.size >= 6, `views installed: ${views.size}`);
  console.log(`# churn: ${messages} deliveries, ${views.size} views, ${traces.reduce((n, t) => n + t.sent.length, 0)} sends`);
  const lastView = a.group.currentView()!;
  assert.equal(lastView.id, final);
  assert.ok(a.views.length >= 6, `a saw ${a.views.length} views`);
  const left = new Set(a.views.flatMap((v) => v.left));
  const disconnected = new Set(a.views.flatMap((v) => v.disconnected));
  for (const m of [b, c, dd, e, f]) assert.ok(left.has(m.name), `a saw ${m.name} go`);
  for (const m of [c, dd, f]) assert.ok(disconnected.has(m.name), `a saw ${m.name} disconnect`);
  assert.ok(!disconnected.has(b.name) && !disconnected.has(e.name), 'leaves are not disconnects');
  assert.ok(b.ended && c.ended && dd.ended && f.ended, 'the streams of departed members ended');

  await Promise.all([a, g, h, e, b].map((m) => m.conn.close()));
});
