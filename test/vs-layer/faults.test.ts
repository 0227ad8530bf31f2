// View Synchrony on several real daemons under daemon faults: members on different daemons send
// continuously (six services, some subgroup casts) while the daemons are partitioned and healed
// (in-process daemons, cut with the ring's partition vector), or killed with SIGKILL (daemon
// processes) and restarted. Every member's stream is recorded and the VS checker runs over all of
// them (see checkVsOverRing for what differs from a one-daemon run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningDaemon } from '../../daemon/index.ts';
import { VsConnection } from '../../vs-layer/connection.ts';
import type { ServiceLevel } from '../../vs-layer/types.ts';
import { startTestDaemons, threeDaemonConfig, waitForRing } from '../support/daemon.ts';
import { DaemonProcs } from '../replication/support/daemon-procs.ts';
import { KEEP_USER, SPREAD5_TIMEOUTS } from '../replication/support/daemons.ts';
import { checkVs, type MemberTrace } from './checker.ts';
import { until } from './helpers.ts';
import { recordingMember, settledView, type RecordingMember } from './members.ts';

const GROUP = 'faults';
const SERVICES: readonly ServiceLevel[] = ['agreed', 'fifo', 'safe', 'reliable', 'causal', 'fifo'];
const serviceOf = (seq: number): ServiceLevel => SERVICES[seq % SERVICES.length]!;
const isReliable = (seq: number): boolean => serviceOf(seq) === 'reliable';
const SETTLE_MS = 60_000;

type Member = RecordingMember;

const member = async (name: string, host: string, port: number): Promise<Member> =>
  recordingMember(await VsConnection.connect({ host, port, privateName: name, timeoutMs: 10_000 }), GROUP, { serviceOf, pauseMs: 5 });
const settled = (side: readonly Member[], what: string): Promise<string> => settledView(side, what, SETTLE_MS);

const traffic = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops the traffic, lets it drain, then makes one more change (a leave) so that the last traffic view has a successor to compare; runs the checker. */
async function finish(all: readonly Member[], live: readonly Member[], leaver: Member): Promise<MemberTrace[]> {
  for (const m of all) m.sending = false;
  await Promise.all(all.map((m) => m.sender));
  await traffic(200);
  await leaver.group.leave();
  await settled(live.filter((m) => m !== leaver), 'the last leave');
  const traces: MemberTrace[] = all.map((m) => ({ member: m.name, events: m.events, sent: m.sent }));
  assert.deepEqual(checkVsOverRing(traces), []);
  return traces;
}

/**
 * The VS checker with the order the services give across daemons: per-sender order on
 * FIFO-or-stronger messages only (a one-packet Reliable message may overtake its sender's earlier
 * messages, daemon-protocol.md 3.8; Flush adds no order to it), and one total order of Agreed and
 * Safe messages.
 */
function checkVsOverRing(traces: readonly MemberTrace[]): string[] {
  return checkVs(traces, { fifo: (e) => !isReliable(e.seq), total: (e) => ['agreed', 'safe'].includes(serviceOf(e.seq)) });
}

function summary(what: string, traces: readonly MemberTrace[]): { messages: number; views: number } {
  const messages = traces.reduce((n, t) => n + t.events.filter((x) => x.kind === 'message').length, 0);
  const views = new Set(traces.flatMap((t) => t.events.flatMap((x) => (x.kind === 'view' ? [x.viewId] : [])))).size;
  console.log(`# ${what}: ${messages} deliveries, ${views} views, ${traces.reduce((n, t) => n + t.sent.length, 0)} sends`);
  return { messages, views };
}

/** Members that saw `gone` leave with a network change (a partition or a crashed daemon). */
function sawNetworkDeparture(m: Member, gone: readonly Member[]): boolean {
  return gone.every((g) => m.views.some((v) => v.cause === 'network' && v.left.includes(g.name)));
}

test('partitions 2|1, 1|1|1 and 1|2 with joins and leaves, then heals, under continuous traffic keep the VS properties', async () => {
  const daemons: RunningDaemon[] = await startTestDaemons(threeDaemonConfig(25100, SPREAD5_TIMEOUTS), ['d1', 'd2', 'd3']);
  const all: Member[] = [];
  const cut = (cells: number[] | undefined): void => {
    for (const d of daemons) d.node.ring!.setPartition(cells);
  };
  try {
    await waitForRing(daemons, 3, 30_000);
    const add = async (name: string, i: number): Promise<Member> => {
      const m = await member(name, `127.0.0.${i + 1}`, daemons[i]!.tcpPort);
      all.push(m);
      return m;
    };
    const [a1, a2, b1, b2, c1, c2] = await Promise.all([add('fa1', 0), add('fa2', 0), add('fb1', 1), add('fb2', 1), add('fc1', 2), add('fc2', 2)]);
    await settled([a1!, a2!, b1!, b2!, c1!, c2!], 'six members on three daemons');
    await traffic();

    // 2|1: d3's members are cut off; one more joins there during the partition.
    cut([0, 0, 1]);
    await Promise.all([settled([a1!, a2!, b1!, b2!], 'd1+d2 side of 2|1'), settled([c1!, c2!], 'd3 side of 2|1')]);
    await traffic();
    const c3 = await add('fc3', 2);
    await settled([c1!, c2!, c3], 'fc3 joined on d3 while cut off');
    await traffic();
    cut(undefined);
    await settled([a1!, a2!, b1!, b2!, c1!, c2!, c3], 'healed');
    await traffic();

    // 1|1|1, then straight to 1|2 (d2 and d3 merge while d1 stays alone); a leave on the d1 side.
    cut([0, 1, 2]);
    await Promise.all([settled([a1!, a2!], 'd1 alone'), settled([b1!, b2!], 'd2 alone'), settled([c1!, c2!, c3], 'd3 alone')]);
    await traffic();
    cut([0, 1, 1]);
    await settled([b1!, b2!, c1!, c2!, c3], 'd2+d3 merged');
    await a2!.group.leave();
    a2!.sending = false;
    await settled([a1!], 'fa2 left on the d1 side');
    await traffic();
    cut(undefined);
    const live = [a1!, b1!, b2!, c1!, c2!, c3];
    await settled(live, 'healed again');
    await traffic();

    const traces = await finish(all, live, c2!);
    const { messages, views } = summary('partitions', traces);
    assert.ok(messages > 500, `enough messages delivered (${messages})`);
    assert.ok(views >= 8, `views installed: ${views}`);
    assert.ok(sawNetworkDeparture(a1!, [c1!, c2!, b1!, b2!]), 'fa1 saw the partitions as network changes');
    assert.ok(sawNetworkDeparture(c3, [b1!, b2!]), 'fc3 saw d2 cut off');
    assert.ok(c3.views.some((v) => v.cause === 'network' && v.joined.includes(a1!.name)), 'fc3 saw the heals as network changes');
  } finally {
    cut(undefined);
    await Promise.all(all.map((m) => m.conn.close().catch(() => undefined)));
    await Promise.all(daemons.map((d) => d.stop()));
  }
});

test('daemons killed with SIGKILL (and one restarted) under continuous traffic keep the VS properties', async () => {
  // d1 and d3 are daemon processes (they get killed); d2 runs in this process.
  const port = 25110;
  const config = threeDaemonConfig(port, SPREAD5_TIMEOUTS, ...KEEP_USER);
  const daemons = new DaemonProcs(config, 3, port);
  let d2: RunningDaemon[] = [];
  const all: Member[] = [];
  const add = async (name: string, i: number): Promise<Member> => {
    // Right after a (re)start the daemon may still be alone: the first view is then just us.
    const m = await member(name, daemons.host(i), i === 1 ? d2[0]!.tcpPort : port);
    all.push(m);
    return m;
  };
  try {
    d2 = await startTestDaemons(config, ['d2']);
    await Promise.all([daemons.start(0), daemons.start(2)]);
    const [a1, a2, b1, b2, c1, c2] = await Promise.all([add('ka1', 0), add('ka2', 0), add('kb1', 1), add('kb2', 1), add('kc1', 2), add('kc2', 2)]);
    await settled([a1!, a2!, b1!, b2!, c1!, c2!], 'six members on three daemons');
    await traffic();

    // kill -9 d3 mid-stream: its members' streams end, the others see them go.
    await daemons.kill(2);
    await settled([a1!, a2!, b1!, b2!], 'd3 killed');
    await until(() => c1!.ended && c2!.ended, SETTLE_MS, "d3's members notice");
    await traffic();
    await daemons.start(2);
    const c3 = await add('kc3', 2);
    await settled([a1!, a2!, b1!, b2!, c3], 'd3 restarted, kc3 joined there');
    await traffic();

    // kill -9 d1 (the ring's representative) mid-stream.
    await daemons.kill(0);
    const live = [b1!, b2!, c3];
    await settled(live, 'd1 killed');
    await until(() => a1!.ended && a2!.ended, SETTLE_MS, "d1's members notice");
    await traffic();

    const traces = await finish(all, live, b2!);
    const { messages, views } = summary('kills', traces);
    assert.ok(messages > 500, `enough messages delivered (${messages})`);
    assert.ok(views >= 4, `views installed: ${views}`);
    for (const m of [a1!, a2!, c1!, c2!]) assert.ok(m.error !== undefined, `${m.name}'s stream errored when its daemon died`);
    assert.ok(sawNetworkDeparture(b1!, [c1!, c2!, a1!, a2!]), 'kb1 saw both crashes as network changes');
    assert.ok(c3.views.some((v) => v.joined.includes(a1!.name)), 'kc3, on the restarted d3, joined the survivors');
  } finally {
    await Promise.all(all.map((m) => m.conn.close().catch(() => undefined)));
    await daemons.close();
    await Promise.all(d2.map((d) => d.stop()));
  }
});
