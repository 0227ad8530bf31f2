// View Synchrony on a real daemon: members join, leave, disconnect and get their sockets killed
// while every member sends continuously (several services, some subgroup casts). Each member's
// stream is recorded and the VS checker runs over all of them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningDaemon } from '../../daemon/index.ts';
import type { ServiceLevel } from '../../vs-layer/types.ts';
import { checkVs, type MemberTrace } from './checker.ts';
import { connect, daemon } from './helpers.ts';
import { recordingMember, settledView, type RecordingMember } from './members.ts';

let d: RunningDaemon;
before(async () => {
  d = await daemon('vsr1');
});
after(async () => {
  await d?.stop();
});

const GROUP = 'churn';
const SERVICES: readonly ServiceLevel[] = ['agreed', 'fifo', 'safe', 'reliable', 'causal', 'fifo'];

type Member = RecordingMember;

const member = async (name: string): Promise<Member> =>
  recordingMember(await connect(d, name), GROUP, { serviceOf: (seq) => SERVICES[seq % SERVICES.length]!, pauseMs: 3 });
const settled = (live: readonly Member[], what: string): Promise<string> => settledView(live, what, 20_000);

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
