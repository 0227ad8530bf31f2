// spmonitor's subcommands for scripts against three real daemons with DangerousMonitor off (the
// default): status as text and JSON, status --watch, and partition, flow control and terminate
// refused by the daemons, which the monitor reports with exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MEMBERSHIP_STATES, type StatusRecord } from '../../../daemon/monitor/status.ts';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { writeTempConfig } from '../../support/processes.ts';
import { InteractiveMonitor, runMonitor } from './spmonitor-process.ts';

test('spmonitor subcommands: status, --json, --watch; dangerous commands refused and reported', async () => {
  const text = threeDaemonConfig(23550, ...FAST_TIMEOUTS);
  const daemons = await startTestDaemons(text, ['d1', 'd2', 'd3']);
  const conf = writeTempConfig(text);
  try {
    await waitForRing(daemons, 3);

    const status = await runMonitor(['-c', conf, 'status']);
    assert.equal(status.code, 0, status.stderr);
    for (const d of ['d1', 'd2', 'd3']) assert.match(status.stdout, new RegExp(`^Status at ${d} V\\d+\\.\\d\\d\\.\\d\\d \\(state [1-6], gstate [1-4]\\) after \\d+ seconds :$`, 'm'));
    for (const label of ['rounds', 'tok_hurry', 'memb change', 'sent pack', 'recv pack', 'retrans', 'u retrans', 's retrans', 'b retrans', 'My_aru', 'Aru', 'Highest seq', 'Sessions', 'Groups', 'Window', 'Deliver M', 'Deliver Pk', 'P/A Window', 'Delta Mes', 'Delta Pk', 'Delta sec'])
      assert.match(status.stdout, new RegExp(`${label.replace('/', '\\/')}\\s*:\\s+\\S`), label);

    const json = await runMonitor(['-c', conf, 'status', '--json', 'd2']);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const r = JSON.parse(lines[0]!) as StatusRecord;
    assert.equal(r.daemon, 'd2');
    assert.ok(MEMBERSHIP_STATES.includes(r.state as (typeof MEMBERSHIP_STATES)[number]), r.state);
    assert.equal(r.numProcs, 3);
    assert.equal(r.window, 160);
    assert.equal(r.personalWindow, 20);

    // --watch asks again and again: two records of d1, the second no younger than the first.
    const watch = new InteractiveMonitor(['-c', conf, 'status', '--watch', '0.2', '--json', 'd1']);
    try {
      const out = await watch.waitFor((t) => t.split('\n').filter((l) => l.startsWith('{')).length >= 2);
      const [a, b] = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as StatusRecord);
      assert.equal(a!.daemon, 'd1');
      assert.ok(b!.uptimeSec >= a!.uptimeSec);
      assert.equal(watch.proc.exitCode, null, 'still watching');
    } finally {
      await watch.kill();
    }

    for (const args of [['partition', '0', '0', '1'], ['flow-control', '100', '10'], ['terminate', 'd3']]) {
      const run = await runMonitor(['-c', conf, ...args]);
      assert.equal(run.code, 2, `${args[0]}: ${run.stdout}${run.stderr}`);
      const asked = args[0] === 'terminate' ? ['d3'] : ['d1', 'd2', 'd3'];
      for (const d of asked) assert.match(run.stdout, new RegExp(`^${d}: REFUSED \\(DangerousMonitor is off\\)$`, 'm'));
    }
    const after = daemons.map((d) => d.node.statusRecord());
    assert.deepEqual(after.map((s) => s.numProcs), [3, 3, 3], 'no partition, nobody terminated');
    assert.deepEqual(after.map((s) => [s.window, s.personalWindow]), [[160, 20], [160, 20], [160, 20]], 'flow control unchanged');

    const bad = await runMonitor(['-c', conf, 'partition', '0', '1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /give 3 cell numbers/);
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
  }
});
