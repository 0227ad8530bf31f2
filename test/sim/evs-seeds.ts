// Registers the default EVS simulator runs: one test per block of seeds, each seed a scenario
// with faults drawn from it (evs-scenarios.ts), every run checked by the EVS checker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evsScenario } from './evs-scenarios.ts';
import { describeEvsFailure, runEvsScenario } from './evs-run.ts';

export function registerEvsSeeds(first: number, last: number, block = 10): void {
  for (let from = first; from <= last; from += block) {
    const to = Math.min(last, from + block - 1);
    test(`EVS seeds ${from}..${to}`, () => {
      const kinds: string[] = [];
      for (let seed = from; seed <= to; seed++) {
        const r = runEvsScenario(evsScenario(seed));
        if (r.violations.length > 0) assert.fail(describeEvsFailure(r));
        kinds.push(r.scenario.label);
      }
      assert.equal(kinds.length, to - from + 1);
    });
  }
}
