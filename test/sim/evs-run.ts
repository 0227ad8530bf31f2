// One simulated run with membership changes, checked by the EVS checker: the entry point of the
// default tests and of scripts/sim-evs-soak.ts.
import { checkEvsRun } from '../checkers/evs-checks.ts';
import type { EvsRunTrace } from '../checkers/evs-trace.ts';
import { EvsSim, type EvsScenario, type EvsSimStats } from './evs-sim.ts';

export interface EvsRunResult {
  readonly scenario: EvsScenario;
  readonly trace: EvsRunTrace;
  readonly stats: EvsSimStats;
  readonly violations: ReadonlyArray<string>;
  readonly warnings: ReadonlyArray<string>;
  /** Each daemon's state and last events (only when the run failed). */
  readonly recent: ReadonlyArray<string>;
}

export function runEvsScenario(scenario: EvsScenario): EvsRunResult {
  const sim = new EvsSim(scenario);
  const { trace, stats } = sim.run();
  const report = checkEvsRun(trace);
  const warnings = [...report.warnings];
  if (stats.evsValve > 0) warnings.push(`MAX_EVS_ROUNDS valve fired ${stats.evsValve} times`);
  return { scenario, trace, stats, violations: report.violations, warnings, recent: report.violations.length > 0 ? sim.recentEvents() : [] };
}

/** A failure report: seed, scenario, violations, the replay command and each daemon's last events. */
export function describeEvsFailure(r: EvsRunResult): string {
  const { seed: _seed, verbose: _verbose, mix: _mix, timeouts: _t, ...knobs } = r.scenario;
  return [
    `EVS simulation failed: seed ${r.scenario.seed} (${r.scenario.label})`,
    `  scenario ${JSON.stringify(knobs)}`,
    `  replay: node --import tsx scripts/sim-evs-soak.ts --seed ${r.scenario.seed} --verbose`,
    `  stats ${JSON.stringify(r.stats)}`,
    ...r.violations.slice(0, 20).map((v) => `  - ${v}`),
    '  last events:',
    ...r.recent.map((l) => `  ${l}`),
  ].join('\n');
}
