// The simulator itself: determinism, swarm seeds, failure reports.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultScenario, swarmScenario } from './ring-sim.ts';
import { replayCommand } from './replay.ts';
import { describeFailure, runRingScenario } from './run.ts';
import { Rng } from './rng.ts';
import { EventQueue } from './event-queue.ts';

describe('simulator', () => {
  test('the PRNG is reproducible and spreads its values', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => new Rng(43).next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(mean > 0.45 && mean < 0.55);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
  });

  test('the event queue pops by time, then by scheduling order', () => {
    const q = new EventQueue<string>();
    q.push(5, 'c');
    q.push(1, 'a');
    q.push(5, 'd');
    q.push(1, 'b');
    q.push(0.5, 'first');
    const out: string[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) out.push(e.event);
    assert.deepEqual(out, ['first', 'a', 'b', 'c', 'd']);
  });

  test('same seed, same run: identical deliveries, times and counters', () => {
    const sc = defaultScenario(99, { daemons: 5, loss: 0.15, duplicate: 0.05, acceleratedRing: true, messagesPerDaemon: 30 });
    const a = runRingScenario(sc);
    const b = runRingScenario(sc);
    assert.deepEqual(a.violations, []);
    assert.deepEqual(b.stats, a.stats);
    assert.deepEqual(b.trace.deliveries, a.trace.deliveries);
    const c = runRingScenario({ ...sc, seed: 100 });
    assert.notDeepEqual(c.stats, a.stats);
  });

  test('the network really loses, duplicates and reorders', () => {
    const r = runRingScenario(defaultScenario(5, { daemons: 3, loss: 0.2, duplicate: 0.1, jitterMs: 1 }));
    assert.deepEqual(r.violations, []);
    assert.ok(r.stats.lost > r.stats.datagrams * 0.15, `lost ${r.stats.lost} of ${r.stats.datagrams}`);
    assert.ok(r.stats.duplicated > 0);
    assert.ok(r.stats.retransmissions > 0);
    assert.ok(r.stats.tokenHurries > 0, 'lost tokens were hurried');
    const early = r.trace.deliveries.flat().filter((d) => d.early).length;
    assert.ok(early > 0, 'some Reliable messages took the early path');
  });

  test('an idle ring holds its token and memory drains to zero', () => {
    const r = runRingScenario(defaultScenario(3, { daemons: 3, messagesPerDaemon: 5 }));
    assert.deepEqual(r.violations, []);
    assert.ok(r.trace.finished);
    assert.deepEqual(r.trace.memory.map((m) => m.finalPacketsStored), [0, 0, 0]);
  });

  test('sparse traffic on lossy rings: the leader sends its messages by resuming its held visit, and every checker holds', () => {
    let resumed = 0;
    let holds = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const r = runRingScenario(
        defaultScenario(seed, { daemons: 3 + (seed % 4), loss: (seed % 3) * 0.1, duplicate: 0.05, acceleratedRing: seed % 2 === 0, messagesPerDaemon: 12, meanIntervalMs: 40 }),
      );
      assert.deepEqual(r.violations, [], `seed ${seed}`);
      assert.ok(r.trace.finished, `seed ${seed}`);
      holds += r.stats.tokenHolds;
      resumed += r.stats.heldVisitsResumed;
    }
    assert.ok(holds > 100, `the rings idled: ${holds} holds`);
    assert.ok(resumed >= 10, `held visits resumed: ${resumed}`);
  });

  test('a lossy link and a token-only loss pattern', () => {
    const r = runRingScenario(
      defaultScenario(8, {
        daemons: 4,
        links: [
          { from: 0, to: 2, loss: 0.6 },
          { from: 3, to: 0, loss: 0.5, channel: 'token' },
        ],
        messagesPerDaemon: 30,
      }),
    );
    assert.deepEqual(r.violations, []);
  });

  test('a token blackout is survived through hurry, and a stalled daemon catches up', () => {
    const r = runRingScenario(
      defaultScenario(12, {
        daemons: 5,
        loss: 0.05,
        blackouts: [{ atMs: 2, forMs: 40, channel: 'token' }],
        stalls: [{ daemon: 2, atMs: 5, forMs: 30 }],
        messagesPerDaemon: 40,
      }),
    );
    assert.deepEqual(r.violations, []);
    assert.ok(r.stats.tokenHurries >= 5, `hurries ${r.stats.tokenHurries}`);
  });

  test('a failure report names the seed, the scenario and the replay command', () => {
    const r = runRingScenario(defaultScenario(4, { daemons: 2, messagesPerDaemon: 3 }));
    const broken = { ...r, violations: ['made up'], recent: ['d0 ...'] };
    const text = describeFailure(broken, replayCommand(4, { daemons: 2 }));
    assert.match(text, /seed 4/);
    assert.match(text, /--seed 4 --scenario '\{"daemons":2\}'/);
    assert.match(text, /made up/);
  });
});

describe('swarm seeds (knobs drawn from the seed)', () => {
  for (let seed = 1; seed <= 24; seed++) {
    test(`swarm seed ${seed}`, () => {
      const over = { messagesPerDaemon: Math.min(swarmScenario(seed).messagesPerDaemon, 60) };
      const r = runRingScenario(swarmScenario(seed, over));
      if (r.violations.length > 0) assert.fail(describeFailure(r, replayCommand(seed, over, true)));
    });
  }
});
