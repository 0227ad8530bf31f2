// Daemon faults seen by clients, with real daemons on loopback: a partition cuts one daemon off
// and heals; clients get TRANSITION then CAUSED_BY_NETWORK views with the right members and vs
// sets, and members that move together deliver the same messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGREED_MESS, CAUSED_BY_NETWORK, REG_MEMB_MESS, SAFE_MESS, TRANSITION_MESS, readMembershipBody,
} from '../../../client/wire/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive, type RawSession, type ReceivedMessage } from '../../support/raw-client.ts';

interface Logged {
  readonly kind: 'data' | 'trans' | 'view';
  readonly text: string;
  readonly members?: string[];
  readonly vsSets?: string[][];
}

function log(m: ReceivedMessage): Logged {
  if ((m.header.type & TRANSITION_MESS) !== 0) return { kind: 'trans', text: m.header.sender };
  if ((m.header.type & REG_MEMB_MESS) !== 0) {
    const b = readMembershipBody(m.frame, m.frame.length - m.header.dataLen, m.header.dataLen, true)!;
    return { kind: 'view', text: `0x${m.header.type.toString(16)}`, members: m.groups, vsSets: b.vsSets };
  }
  return { kind: 'data', text: m.body.toString() };
}

/** Reads until a view with exactly `members` arrives; returns everything read. */
async function until(s: RawSession, members: string[], timeoutMs = 20_000): Promise<Logged[]> {
  const out: Logged[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = log(await rawReceive(s, Math.max(1, deadline - Date.now())));
    out.push(l);
    if (l.kind === 'view' && JSON.stringify(l.members) === JSON.stringify(members)) return out;
  }
}

test('partition 2|1 and heal: network views, vs sets, same messages for those that move together', async () => {
  const daemons: RunningDaemon[] = await startTestDaemons(threeDaemonConfig(32310, ...FAST_TIMEOUTS), ['d1', 'd2', 'd3']);
  try {
    await waitForRing(daemons, 3);
    const on = (i: number) => ({ port: daemons[i]!.tcpPort, host: `127.0.0.${i + 1}` });
    const [a, b, c] = await Promise.all([rawConnect(on(0), 'a'), rawConnect(on(1), 'b'), rawConnect(on(2), 'c')]);
    for (const s of [a!, b!, c!]) rawJoin(s, 'g');
    const all = ['#a#d1', '#b#d2', '#c#d3'];
    await Promise.all([a!, b!, c!].map((s) => until(s, all)));
    // traffic before the cut
    for (let i = 0; i < 20; i++) rawMulticast(a!, i % 2 ? SAFE_MESS : AGREED_MESS, ['g'], Buffer.from(`before-${i}`));
    await new Promise((r) => setTimeout(r, 100));
    for (const d of daemons) d.node.ring!.setPartition([0, 0, 1]);
    for (let i = 0; i < 20; i++) rawMulticast(b!, AGREED_MESS, ['g'], Buffer.from(`during-${i}`));
    const [la, lb, lc] = await Promise.all([until(a!, ['#a#d1', '#b#d2']), until(b!, ['#a#d1', '#b#d2']), until(c!, ['#c#d3'])]);
    for (const l of [la!, lb!, lc!]) {
      const view = l[l.length - 1]!;
      assert.equal(view.text, `0x${(REG_MEMB_MESS | CAUSED_BY_NETWORK).toString(16)}`);
      assert.ok(l.some((x) => x.kind === 'trans'), 'a transitional signal came before the network view');
      assert.equal(view.vsSets!.length, 1);
    }
    // a and b moved together: they delivered the same messages, in the same order
    const data = (l: Logged[]) => l.filter((x) => x.kind === 'data').map((x) => x.text);
    assert.deepEqual(data(la!), data(lb!));
    // heal
    for (const d of daemons) d.node.ring!.setPartition(undefined);
    const [ha, hc] = await Promise.all([until(a!, all), until(c!, all)]);
    for (const h of [ha!, hc!]) {
      const v = h[h.length - 1]!;
      assert.equal(v.text, `0x${(REG_MEMB_MESS | CAUSED_BY_NETWORK).toString(16)}`);
      assert.equal(v.vsSets!.length, 2, 'one vs set per side of the merge');
      assert.deepEqual(v.vsSets!.flat().sort(), all);
    }
    for (const s of [a!, b!, c!]) s.client.close();
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
});
