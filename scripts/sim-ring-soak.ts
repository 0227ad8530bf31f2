// Opt-in soak of the ring simulator: thousands of seeds, each with its knobs drawn from the seed
// (swarm testing), every run checked. Prints the first failing seed and how to replay it.
//
//   node --import tsx scripts/sim-ring-soak.ts --seeds 5000 [--start 1]
//   node --import tsx scripts/sim-ring-soak.ts --seed 1234 [--verbose]          # replay one swarm seed
//   node --import tsx scripts/sim-ring-soak.ts --seed 7 --scenario '{"daemons":9,"loss":0.2}'
//                                                    # replay a default scenario with overrides
//   add --swarm to apply --scenario on top of the seed's swarm knobs instead
import { parseArgs } from 'node:util';
import { defaultScenario, swarmScenario, type RingScenario } from '../test/sim/ring-sim.ts';
import { describeFailure, runRingScenario } from '../test/sim/run.ts';
import { replayCommand } from '../test/sim/replay.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    scenario: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    swarm: { type: 'boolean', default: false },
  },
});

const overrides = values.scenario === undefined ? undefined : (JSON.parse(values.scenario) as Partial<RingScenario>);
const swarm = values.swarm || overrides === undefined;

function scenarioFor(seed: number): RingScenario {
  const over = { ...overrides, verbose: values.verbose };
  return swarm ? swarmScenario(seed, over) : defaultScenario(seed, over);
}

function runOne(seed: number): boolean {
  const r = runRingScenario(scenarioFor(seed));
  if (r.violations.length === 0) return true;
  console.log(describeFailure(r, replayCommand(seed, overrides, swarm && overrides !== undefined)));
  return false;
}

if (values.seed !== undefined) {
  const seed = Number(values.seed);
  const ok = runOne(seed);
  if (ok) {
    const r = runRingScenario(scenarioFor(seed));
    console.log(`seed ${seed}: ok ${JSON.stringify(r.stats)}`);
  }
  process.exit(ok ? 0 : 1);
}

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
