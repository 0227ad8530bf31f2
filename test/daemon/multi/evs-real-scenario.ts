// The steps the real-daemon EVS tests (3 and 5 daemons) share: one recording client per daemon in
// one view, the network-caused views after a fault, and the EVS checker over every log at the end.
import assert from 'node:assert/strict';
import type { Cluster } from '../../support/cluster.ts';
import { EvsRecorder, changesSince, drain, dumpLogs, waitForViews, type ClientLog } from '../../support/evs-client-log.ts';
import { checkClientLogs } from '../../checkers/client-evs.ts';

export const SETTLE_MS = 40_000;

/** A client on each daemon of the cluster, all in one view, all sending. */
export async function startRecorders(
  cluster: Cluster,
  o: { readonly size: number; readonly user: (i: number) => string; readonly group: string; readonly intervalMs?: number },
): Promise<{ recorders: EvsRecorder[]; names: string[] }> {
  const recorders: EvsRecorder[] = [];
  for (let i = 0; i < o.size; i++) {
    recorders.push(await EvsRecorder.connect({ spread: cluster.spread(i), user: o.user(i), group: o.group, intervalMs: o.intervalMs }));
  }
  const names = recorders.map((r) => r.privateName);
  await waitForViews(recorders, names, SETTLE_MS, `all ${o.size} clients in one view`);
  for (const r of recorders) r.startSending();
  await new Promise((r) => setTimeout(r, 400));
  return { recorders, names };
}

/** Each client's last view since its mark is caused by the network (and, with `signal`, came after a transitional signal). */
export function assertNetworkViews(recorders: ReadonlyArray<EvsRecorder>, marks: ReadonlyArray<number>, what: string, signal: boolean): void {
  for (const [i, r] of recorders.entries()) {
    const { views, signals } = changesSince(r, marks[i]!);
    assert.equal(views[views.length - 1]!.reason, 'NETWORK', `${r.privateName}: the view ${what} is caused by the network`);
    if (signal) assert.ok(signals >= 1, `${r.privateName}: a transitional signal came before it`);
  }
}

/** Lets every message arrive, then runs the EVS checker over all logs (earlier incarnations' too); returns how many messages were sent. */
export async function assertEvsHolds(recorders: ReadonlyArray<EvsRecorder>, earlierLogs: ReadonlyArray<ClientLog>, group: string): Promise<number> {
  await drain(recorders, SETTLE_MS);
  const logs = [...earlierLogs, ...recorders.map((r) => r.log)];
  const report = checkClientLogs(logs, { group });
  const dump = report.violations.length > 0 || process.env.EVS_LOG_DUMP === '1' ? `logs in ${dumpLogs(logs)}` : '';
  if (process.env.EVS_LOG_DUMP === '1') console.log(dump);
  assert.deepEqual(report.violations, [], `${report.legend}\n${report.violations.join('\n')}\n${dump}`);
  return logs.reduce((n, l) => n + l.events.filter((e) => e.kind === 'send').length, 0);
}
