// The group state machine under a simulated EVS daemon (evs-sim.ts): random joins, leaves,
// crashes, partitions and merges while members send with every service and FIFO frames overtake
// others. After every run the VS checker must find nothing, the invariants must have held after
// every step, and once the network heals and traffic stops every member must have installed the
// final EVS membership. Each run is reproducible from its seed (printed on failure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EvsSim } from './evs-sim.ts';
import { checkVs } from './checker.ts';

interface Totals {
  held: number;
  changes: number;
  views: number;
  messages: number;
  transitionals: number;
}

function run(seed: number, ticks: number, churn: number, sendWhileFlushed: 'queue' | 'reject', totals: Totals): void {
  const sim = new EvsSim({ seed, sendWhileFlushed });
  for (let i = 0; i < 3; i++) sim.join(0);
  for (let i = 0; i < ticks; i++) sim.tick({ churn });
  const where = (): string => `seed ${seed}\n${sim.log.slice(-15).join('\n')}`;
  assert.ok(sim.quiesce(), `did not quiesce, ${where()}`);
  assert.deepEqual(sim.violations, [], where());
  assert.deepEqual(checkVs(sim.traces()), [], where());
  const live = sim.live;
  const ids = new Set(live.map((m) => m.fsm.view?.id));
  assert.equal(ids.size, live.length === 0 ? 0 : 1, `live members disagree on the final view: ${[...ids]}, ${where()}`);
  for (const m of live) {
    assert.equal(m.fsm.joinState, 'joined', `${m.name}, ${where()}`);
    assert.equal(m.fsm.viewPhase, 'steady', `${m.name}, ${where()}`);
    assert.deepEqual(m.fsm.view?.members, live.map((x) => x.name).sort(), `${m.name}'s final view is the EVS membership, ${where()}`);
    assert.equal(m.tokens.size, 0, `${m.name} has sends that never went out, ${where()}`);
  }
  totals.held += sim.held;
  totals.changes += sim.changes;
  for (const t of sim.traces()) {
    for (const e of t.events) {
      if (e.kind === 'view') totals.views++;
      else if (e.kind === 'message') totals.messages++;
      else if (e.kind === 'transitional') totals.transitionals++;
    }
  }
}

test('random churn, partitions and merges: the VS properties hold on every member (60 seeds)', () => {
  const totals: Totals = { held: 0, changes: 0, views: 0, messages: 0, transitionals: 0 };
  for (let seed = 1; seed <= 60; seed++) run(seed, 1500, 0.05, 'queue', totals);
  // The runs must have gone through the interesting paths, or they prove little.
  assert.ok(totals.held > 0, 'some vulnerable frames were held back');
  assert.ok(totals.transitionals > 0, 'some transitional signals');
  assert.ok(totals.messages > 10_000, `enough traffic (${totals.messages})`);
});

test("heavy churn with sendWhileFlushed 'reject' (30 seeds)", () => {
  const totals: Totals = { held: 0, changes: 0, views: 0, messages: 0, transitionals: 0 };
  for (let seed = 1001; seed <= 1030; seed++) run(seed, 1500, 0.1, 'reject', totals);
  assert.ok(totals.messages > 300, `enough traffic (${totals.messages})`);
  assert.ok(totals.views > totals.changes / 10, `views installed (${totals.views} for ${totals.changes} EVS changes)`);
});
