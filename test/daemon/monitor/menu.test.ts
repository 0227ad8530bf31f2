// The interactive monitor of the guide's Figure 2.8, driven through its standard input against
// three real daemons: status reports, a partition that splits the ring and a cancel that heals
// it, flow control defined, sent and reviewed, and exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { writeTempConfig } from '../../support/processes.ts';
import { InteractiveMonitor } from './spmonitor-process.ts';

test('the menu: status, define/send/review/cancel a partition, define/send/review flow control, exit', async () => {
  const text = threeDaemonConfig(23540, ...FAST_TIMEOUTS, 'DangerousMonitor = true');
  const daemons = await startTestDaemons(text, ['d1', 'd2', 'd3']);
  const [d1, d2, d3] = daemons as [(typeof daemons)[0], (typeof daemons)[0], (typeof daemons)[0]];
  const mon = new InteractiveMonitor(['-c', writeTempConfig(text), '-n', 'd1', '-t', '1']);
  try {
    await waitForRing(daemons, 3);
    await mon.waitFor((t) => t.includes('9. Exit') && t.endsWith('Monitor> '));

    // 0: status of every daemon, in the layout of Figure 2.9; then none.
    let from = mon.output.length;
    mon.type('0', 'all', '');
    const reports = await mon.waitFor((t) => ['d1', 'd2', 'd3'].every((d) => t.includes(`Status at ${d} V`)), from);
    assert.match(reports, /Membership {2}: {2}3 {2}procs in 1 segments, leader is d\d/);
    assert.match(reports, /Window {3}: {6}160/);
    from = mon.output.length;
    mon.type('0', 'none', '');
    await mon.waitFor((t) => t.includes('Activate Status'), from);

    // 1: define a partition {d1 d2} {d3}; 3 reviews what is in force (nothing yet); 2 sends it.
    from = mon.output.length;
    mon.type('1', '0', '0', '1');
    const defined = await mon.waitFor((t) => t.includes('Partition Map:') && t.endsWith('Monitor> '), from);
    assert.match(defined, /\td3\t1\n/);
    from = mon.output.length;
    mon.type('3');
    assert.match(await mon.waitFor((t) => t.includes('Partition Map:') && t.endsWith('Monitor> '), from), /\td3\t0\n/);
    from = mon.output.length;
    mon.type('2');
    const acks = await mon.waitFor((t) => (t.match(/: accepted \(partition applied\)/g) ?? []).length === 3, from);
    assert.doesNotMatch(acks, /REFUSED|no answer/);
    await waitForRing([d1, d2], 2);
    assert.deepEqual(d3.node.ring!.status().members, [d3.node.ring!.status().selfId], 'd3 is alone');
    from = mon.output.length;
    mon.type('3');
    assert.match(await mon.waitFor((t) => t.includes('Partition Map:') && t.endsWith('Monitor> '), from), /\td3\t1\n/);

    // 4: cancel; the daemons merge again.
    from = mon.output.length;
    mon.type('4');
    await mon.waitFor((t) => (t.match(/: accepted \(partition applied\)/g) ?? []).length === 3, from);
    await waitForRing(daemons, 3, 20_000);

    // 5: window 40; d1 personal 5, d2 personal 5 and accelerated 3, d3 unchanged. 6 sends, 7 reviews.
    from = mon.output.length;
    mon.type('5', '40', '5', '5/3', '');
    const fc = await mon.waitFor((t) => t.includes('Flow Control Parameters:') && t.endsWith('Monitor> '), from);
    assert.match(fc, /Window size: {2}40\n/);
    assert.match(fc, /\td2\t5\/3\n/);
    assert.match(fc, /\td3\tunchanged\n/);
    assert.deepEqual(d1.node.flowControl.window, 160, 'defining sends nothing');
    from = mon.output.length;
    mon.type('6');
    await mon.waitFor((t) => (t.match(/: accepted \(flow control applied\)/g) ?? []).length === 3, from);
    assert.deepEqual(d1.node.flowControl, { window: 40, personalWindow: 5, acceleratedWindow: 5 });
    assert.deepEqual(d2.node.flowControl, { window: 40, personalWindow: 5, acceleratedWindow: 3 });
    assert.deepEqual(d3.node.flowControl, { window: 40, personalWindow: 20, acceleratedWindow: 15 });
    from = mon.output.length;
    mon.type('7');
    assert.match(await mon.waitFor((t) => t.includes('Flow Control Parameters:') && t.endsWith('Monitor> '), from), /Window size: {2}40\n/);

    // Anything else shows the menu again; 9 exits.
    from = mon.output.length;
    mon.type('x');
    await mon.waitFor((t) => t.includes('Unknown command') && t.includes('Monitor Menu:'), from);
    mon.type('9');
    assert.equal(await mon.exited(), 0);
    assert.ok(mon.output.endsWith('Bye.\n'));
  } finally {
    await mon.kill();
    await Promise.all(daemons.map((d) => d.stop()));
  }
});
