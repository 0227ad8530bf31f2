// How a failing simulated run is replayed (the command the soak script understands).
import type { RingScenario } from './ring-sim.ts';

/**
 * `swarm`: the knobs were drawn from the seed (swarmScenario) and `overrides` applied on top;
 * otherwise the run was defaultScenario(seed, overrides).
 */
export function replayCommand(seed: number, overrides?: Partial<RingScenario>, swarm = false): string {
  const s = overrides === undefined ? '' : ` --scenario '${JSON.stringify(overrides)}'`;
  return `node --import tsx scripts/sim-ring-soak.ts --seed ${seed}${s}${swarm ? ' --swarm' : ''} --verbose`;
}
