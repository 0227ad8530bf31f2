// Scenarios with faults for the EVS simulator (design 10.3, scenarios 1 to 6 and 8 at the ring
// level), each drawn from its seed: the kind of scenario, the ring size, the network, the fault
// times and the load.
import type { MembershipState } from '../../daemon/ring/index.ts';
import { defaultEvsScenario, type EvsScenario, type SimFault, type SimTrigger } from './evs-sim.ts';
import { Rng } from './rng.ts';

export const SCENARIO_KINDS = [
  'boot', // 1, 2: one daemon alone; several together or staggered; boot into a running ring
  'lossy', // 3: loss, duplication, reordering during membership formation and traffic
  'crash', // 4: crash of a non-leader, of the leader, then restarts
  'crashInChange', // 4: crash during GATHER, FORM, EVS (before and after committing)
  'partition', // 5: partitions into any cells, heal
  'partitionRepeat', // 5: partition and heal repeatedly, cascades
  'tokenLoss', // 6: token loss only: the ring re-forms with the same members
  'edge', // 8: bursts to WATER_MARK and big messages cut by membership changes
  'mixed', // everything at once
] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

function randomCells(r: Rng, n: number): number[] {
  const cells = r.int(Math.min(n, 4)) + 1;
  const v = Array.from({ length: n }, () => r.int(cells));
  if (new Set(v).size === 1 && n > 1) v[r.int(n)] = (v[0]! + 1) % Math.max(2, cells);
  return v;
}

export function evsScenario(seed: number, over: Partial<EvsScenario> = {}, only?: ScenarioKind): EvsScenario {
  const r = new Rng(seed ^ 0x3c3c3c3c);
  const kind: ScenarioKind = only ?? r.pick(SCENARIO_KINDS);
  const daemons = kind === 'boot' ? r.pick([1, 2, 3, 5, 9]) : r.pick([2, 3, 3, 4, 5, 5, 7, 9]);
  let seqWrapLimit: number | undefined;
  const faults: SimFault[] = [];
  const triggers: SimTrigger[] = [];
  const bootAt = new Array<number>(daemons).fill(0);
  let loss = r.pick([0, 0, 0.01, 0.05]);
  let duplicate = r.pick([0, 0, 0.01]);
  let messagesPerDaemon = r.pick([20, 40, 80]);
  let burst = r.pick([1, 4, 10]);
  let hugePerDaemon = r.pick([0, 0, 1]);
  let meanIntervalMs = r.pick([2, 5, 10]);
  let workEndMs = 1200;
  const t = () => r.range(20, 900);
  const crashRestart = (d: number, at: number): void => {
    faults.push({ at, kind: 'crash', daemon: d });
    if (r.chance(0.7)) faults.push({ at: at + r.range(20, 600), kind: 'restart', daemon: d });
  };

  switch (kind) {
    case 'boot':
      if (r.chance(0.5)) for (let d = 0; d < daemons; d++) bootAt[d] = r.range(0, 400);
      if (r.chance(0.3)) bootAt[r.int(daemons)] = r.range(600, 1000); // boots into a running ring
      break;
    case 'lossy':
      loss = r.pick([0.05, 0.1, 0.2]);
      duplicate = r.pick([0.02, 0.05]);
      break;
    case 'crash': {
      const n = r.range(1, Math.max(1, daemons - 1));
      for (let k = 0; k < n; k++) crashRestart(r.pick([0, r.int(daemons)]), t());
      break;
    }
    case 'crashInChange': {
      // boot makes changes; partitions and crashes make more
      const states: Array<MembershipState | 'commit'> = ['GATHER', 'FORM', 'EVS', 'commit', 'REPRESENTED', 'SEG'];
      const n = r.range(1, 3);
      for (let k = 0; k < n; k++) {
        triggers.push({ daemon: r.int(daemons), on: r.pick(states), nth: r.range(1, 3), restartAfterMs: r.chance(0.7) ? r.range(10, 400) : undefined });
      }
      if (r.chance(0.5)) faults.push({ at: r.range(200, 600), kind: 'partition', cells: randomCells(r, daemons) }, { at: r.range(650, 1000), kind: 'heal' });
      break;
    }
    case 'partition': {
      const at = t();
      faults.push({ at, kind: 'partition', cells: randomCells(r, daemons) }, { at: at + r.range(50, 800), kind: 'heal' });
      break;
    }
    case 'partitionRepeat': {
      let at = r.range(20, 200);
      const n = r.range(2, 5);
      for (let k = 0; k < n; k++) {
        faults.push({ at, kind: 'partition', cells: randomCells(r, daemons) });
        at += r.range(5, 300);
        if (r.chance(0.6)) {
          faults.push({ at, kind: 'heal' });
          at += r.range(5, 300);
        }
      }
      faults.push({ at, kind: 'heal' });
      break;
    }
    case 'tokenLoss': {
      const n = r.range(1, 3);
      for (let k = 0; k < n; k++) faults.push({ at: t(), kind: 'blackout', forMs: r.range(60, 200), channel: 'token' });
      if (r.chance(0.3)) faults.push({ at: t(), kind: 'stall', daemon: r.int(daemons), forMs: r.range(60, 200) });
      // the seq wrap forces memberships that keep every member (3.11)
      if (r.chance(0.3)) seqWrapLimit = r.range(400, 1500);
      break;
    }
    case 'edge':
      messagesPerDaemon = r.pick([200, 600]);
      burst = r.pick([50, 200]);
      meanIntervalMs = r.pick([1, 20]);
      hugePerDaemon = r.pick([2, 4]);
      if (r.chance(0.5)) crashRestart(r.int(daemons), r.range(50, 600));
      if (r.chance(0.5)) {
        const at = r.range(50, 600);
        faults.push({ at, kind: 'partition', cells: randomCells(r, daemons) }, { at: at + r.range(20, 400), kind: 'heal' });
      }
      break;
    case 'mixed': {
      loss = r.pick([0, 0.02, 0.1]);
      const n = r.range(2, 6);
      for (let k = 0; k < n; k++) {
        const at = t();
        switch (r.int(5)) {
          case 0:
            crashRestart(r.int(daemons), at);
            break;
          case 1:
            faults.push({ at, kind: 'partition', cells: randomCells(r, daemons) });
            break;
          case 2:
            faults.push({ at, kind: 'heal' });
            break;
          case 3:
            faults.push({ at, kind: 'blackout', forMs: r.range(10, 150), channel: r.pick(['token', undefined] as const) });
            break;
          default:
            faults.push({ at, kind: 'stall', daemon: r.int(daemons), forMs: r.range(5, 120) });
        }
      }
      faults.push({ at: 1000, kind: 'heal' });
      if (r.chance(0.3)) triggers.push({ daemon: r.int(daemons), on: r.pick(['FORM', 'EVS', 'commit'] as const), nth: 1, restartAfterMs: 50 });
      break;
    }
  }
  // every crashed daemon that is never restarted stays down; keep at least one daemon up
  const down = new Set<number>();
  for (const f of [...faults].sort((a, b) => a.at - b.at)) {
    if (f.kind === 'crash') down.add(f.daemon);
    if (f.kind === 'restart') down.delete(f.daemon);
  }
  if (down.size >= daemons) faults.push({ at: 1100, kind: 'restart', daemon: 0 });
  workEndMs = Math.max(workEndMs, ...bootAt.map((b) => b + 200));
  return defaultEvsScenario(seed, {
    label: kind,
    daemons,
    loss,
    duplicate,
    jitterMs: r.pick([0.02, 0.1, 0.5]),
    acceleratedRing: r.chance(0.5),
    personalWindow: r.pick([5, 20]),
    window: r.pick([60, 160]),
    acceleratedWindow: r.pick([0, 5]),
    bootAt,
    faults,
    triggers,
    messagesPerDaemon,
    burst,
    hugePerDaemon,
    meanIntervalMs,
    workEndMs,
    seqWrapLimit,
    ...over,
  });
}
