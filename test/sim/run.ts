// One simulated run, checked: the entry point of the default tests and of the soak script.
import { checkRingRun, defaultMemoryBounds } from '../checkers/ring-checks.ts';
import type { RingRunTrace } from '../checkers/ring-trace.ts';
import { RingSim, type RingScenario, type RingSimStats } from './ring-sim.ts';

export interface RingRunResult {
  readonly scenario: RingScenario;
  readonly trace: RingRunTrace;
  readonly stats: RingSimStats;
  readonly violations: ReadonlyArray<string>;
  /** The last events of each daemon (only when the run failed). */
  readonly recent: ReadonlyArray<string>;
}

export function runRingScenario(scenario: RingScenario): RingRunResult {
  const sim = new RingSim(scenario);
  const { trace, stats } = sim.run();
  const bounds = defaultMemoryBounds(scenario.window, scenario.personalWindow, scenario.daemons);
  const violations = checkRingRun(trace, bounds);
  return { scenario, trace, stats, violations, recent: violations.length > 0 ? sim.recentEvents() : [] };
}

function knobs(sc: RingScenario): string {
  const { seed: _seed, mix: _mix, verbose: _verbose, ...rest } = sc;
  return JSON.stringify(rest);
}

/** A failure report: seed, knobs, violations, the replay command and each daemon's last events. */
export function describeFailure(r: RingRunResult, replay: string): string {
  return [
    `ring simulation failed: seed ${r.scenario.seed}`,
    `  scenario ${knobs(r.scenario)}`,
    `  replay: ${replay}`,
    `  stats ${JSON.stringify(r.stats)}`,
    ...r.violations.slice(0, 20).map((v) => `  - ${v}`),
    '  last events:',
    ...r.recent.map((l) => `  ${l}`),
  ].join('\n');
}
