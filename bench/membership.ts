// Membership change times seen by clients, for `npm run bench -- --only membership` (issue:
// Membership and EVS, "Shown by"). Real daemon processes on loopback (test/support/cluster.ts),
// one client per daemon; each row gives the times, the timeouts in force and the bound to compare
// them with. `--quick`: only the fault tests' timeouts (guide / 10), 3 and 5 daemons.
import { FAST_TIMEOUTS } from '../test/support/daemon.ts';
import { Cluster } from '../test/support/cluster.ts';
import { EvsRecorder, now, waitForViews, type ViewEvent } from '../test/support/evs-client-log.ts';
import { progress } from './progress.ts';

const quick = process.argv.includes('--quick');

interface TimeoutSet {
  readonly label: string;
  readonly options: ReadonlyArray<string>;
  readonly sizes: ReadonlyArray<number>;
  readonly inQuick: boolean;
}

const SETS: ReadonlyArray<TimeoutSet> = [
  { label: 'guide / 10 (FAST_TIMEOUTS, the fault tests)', options: FAST_TIMEOUTS, sizes: [3, 5], inQuick: true },
  { label: 'spread 5.0.1 (TimeoutDefaults = spread5)', options: ['TimeoutDefaults = spread5'], sizes: [3, 5], inQuick: false },
  { label: 'guide, one segment (the default)', options: [], sizes: [3], inQuick: false },
];

const BOUNDS =
  'crash and partition: token + seg + gather (the token timeout, then the form time: Seg to pick a representative, Gather to collect the others); ' +
  'restart: daemon start + seg + gather; heal: lookup + gather (a ring leader probes for missing daemons Lookup after it installed its ring, then every Lookup + Gather; ' +
  'the heal is sent as soon as both sides settled, so it waits for nearly a whole Lookup; with traffic a foreign data packet makes the leader probe at once); ' +
  'each then takes a form pass, EVS recovery and, for a merge, the groups exchange: a few token rotations';

/** When `r` first showed a view of exactly `names` after event index `from`. */
function viewTime(r: EvsRecorder, from: number, names: ReadonlyArray<string>): number {
  const v = r.log.events.slice(from).find((e): e is ViewEvent => e.kind === 'view' && e.members.length === names.length && names.every((n) => e.members.includes(n)));
  if (v === undefined) throw new Error(`${r.privateName} never showed [${names.join(' ')}]`);
  return v.t;
}

const ms = (x: number): number => Math.round(x);

async function measure(set: TimeoutSet, size: number, port: number): Promise<Record<string, unknown>> {
  const cluster = await Cluster.start({ size, port, options: set.options, readyTimeoutMs: 300_000 });
  const t = cluster.timeouts;
  // deadlines only: generous multiples of the slowest path
  const deadline = 4 * (t.tokenMs + t.segMs + t.gatherMs + t.formMs + t.lookupMs) + 30_000;
  const recs: EvsRecorder[] = [];
  try {
    const user = (i: number): string => `m${i + 1}`;
    for (let i = 0; i < size; i++) recs.push(await EvsRecorder.connect({ spread: cluster.spread(i), user: user(i), group: 'memb' }));
    const names = recs.map((r) => r.privateName);
    await waitForViews(recs, names, deadline, 'every client in one view');

    // kill -9 of the last daemon until the others' clients have the network view
    const victim = size - 1;
    const survivors = recs.slice(0, victim);
    let marks = recs.map((r) => r.mark());
    const t0 = now();
    await cluster.kill(victim);
    await waitForViews(survivors, names.slice(0, victim), deadline, 'the view of the survivors');
    const crash = Math.max(...survivors.map((r, i) => viewTime(r, marks[i]!, names.slice(0, victim)))) - t0;
    await cluster.waitForRing(deadline);

    // restart it (a new process) and reconnect its client at once, until one view of all
    await recs[victim]!.close();
    marks = recs.map((r) => r.mark());
    const t1 = now();
    await cluster.restart(victim);
    const started = now() - t1;
    recs[victim] = await EvsRecorder.connect({ spread: cluster.spread(victim), user: user(victim), group: 'memb', incarnation: 1 });
    marks[victim] = 0;
    await waitForViews(recs, names, deadline, 'one view after the restart');
    const merge = Math.max(...recs.map((r, i) => viewTime(r, marks[i]!, names))) - t1;
    await cluster.waitForRing(deadline);

    // partition 2 | size-2 through the monitor, then heal
    const sides = [names.slice(0, 2), names.slice(2)];
    const sideOf = (i: number): ReadonlyArray<string> => (i < 2 ? sides[0]! : sides[1]!);
    marks = recs.map((r) => r.mark());
    const t2 = now();
    await cluster.partition(names.map((_, i) => (i < 2 ? 0 : 1)));
    await Promise.all([waitForViews(recs.slice(0, 2), sides[0]!, deadline, 'side 1'), waitForViews(recs.slice(2), sides[1]!, deadline, 'side 2')]);
    const split = Math.max(...recs.map((r, i) => viewTime(r, marks[i]!, sideOf(i)))) - t2;
    await cluster.waitForComponents([[0, 1], names.slice(2).map((_, k) => k + 2)], deadline);

    marks = recs.map((r) => r.mark());
    const t3 = now();
    await cluster.heal();
    await waitForViews(recs, names, deadline, 'one view after the heal');
    const heal = Math.max(...recs.map((r, i) => viewTime(r, marks[i]!, names))) - t3;
    await cluster.waitForRing(deadline);

    return {
      daemons: size,
      timeouts: set.label,
      timeouts_ms: { token: t.tokenMs, hurry: t.hurryMs, alive: t.aliveMs, join: t.joinMs, rep: t.repMs, seg: t.segMs, gather: t.gatherMs, form: t.formMs, lookup: t.lookupMs },
      crash_to_regular_ms: ms(crash),
      crash_bound_ms: t.tokenMs + t.segMs + t.gatherMs,
      restart_to_merged_ms: ms(merge),
      restart_daemon_start_ms: ms(started),
      restart_bound_ms: ms(started) + t.segMs + t.gatherMs,
      partition_to_split_ms: ms(split),
      partition_bound_ms: t.tokenMs + t.segMs + t.gatherMs,
      heal_to_merged_ms: ms(heal),
      heal_bound_ms: t.lookupMs + t.gatherMs,
      bounds: BOUNDS,
    };
  } finally {
    await Promise.all(recs.map((r) => r.close()));
    await cluster.close();
  }
}

/**
 * Membership change times seen by clients (issue: Membership and EVS): kill -9 of one daemon until
 * the survivors' clients get the network view, its restart until one merged view, a partition
 * 2|rest through the monitor until each side's view, and its cancel until the merged view; with the
 * timeouts in force and the bound for each.
 */
export async function membershipTimes(): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let port = 33100;
  for (const set of SETS) {
    for (const size of set.sizes) {
      const p = port;
      port += 10;
      if (quick && !set.inQuick) continue;
      progress(`membership change times, ${size} daemons, ${set.label} timeouts`);
      rows.push(await measure(set, size, p));
    }
  }
  return rows;
}
