// Opt-in soak of the EVS simulator: thousands of seeds, each a scenario with faults drawn from
// the seed (crashes, restarts, partitions, token loss, stalls, loss), every run checked by the
// EVS checker. Prints the first failing seed and how to replay it.
//
//   node --import tsx scripts/sim-evs-soak.ts --seeds 10000 [--start 1] [--kind partition]
//   node --import tsx scripts/sim-evs-soak.ts --seed 1234 [--verbose]      # replay one seed
import { parseArgs } from 'node:util';
import { evsScenario, SCENARIO_KINDS, type ScenarioKind } from '../test/sim/evs-scenarios.ts';
import { describeEvsFailure, runEvsScenario } from '../test/sim/evs-run.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    kind: { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
});

const kind = values.kind as ScenarioKind | undefined;
if (kind !== undefined && !SCENARIO_KINDS.includes(kind)) {
  console.error(`unknown kind ${kind}; one of ${SCENARIO_KINDS.join(', ')}`);
  process.exit(2);
}

function runOne(seed: number): boolean {
  const r = runEvsScenario(evsScenario(seed, { verbose: values.verbose }, kind));
  if (r.violations.length === 0) {
    if (values.seed !== undefined) {
      console.log(`seed ${seed} (${r.scenario.label}): ok ${JSON.stringify(r.stats)}`);
      if (values.verbose) console.log(JSON.stringify(r.scenario.faults), JSON.stringify(r.scenario.triggers));
    }
    for (const w of r.warnings) console.log(`seed ${seed}: warning: ${w}`);
    return true;
  }
  console.log(describeEvsFailure(r));
  return false;
}

if (values.seed !== undefined) process.exit(runOne(Number(values.seed)) ? 0 : 1);

const start = Number(values.start);
const count = Number(values.seeds);
const t0 = performance.now();
for (let seed = start; seed < start + count; seed++) {
  if (!runOne(seed)) {
    console.log(`first failing seed: ${seed} (after ${seed - start} passing runs)`);
    process.exit(1);
  }
  if ((seed - start + 1) % 100 === 0) {
    console.log(`${seed - start + 1} seeds ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
console.log(`all ${count} seeds ok (${start}..${start + count - 1}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
