// Live reconfiguration (Spread 4's reload): a fourth daemon is added to a running three-daemon
// ring by reloading spread.conf while clients send; no client is disconnected and the EVS checker
// passes over every client's log. A reload that does not parse, or that this daemon cannot take,
// is refused and changes nothing; the monitor's reload is gated by DangerousMonitor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../../daemon/index.ts';
import { memoryLogger } from '../../../daemon/log/index.ts';
import { FAST_TIMEOUTS, startTestDaemons, waitForRing } from '../../support/daemon.ts';
import { writeTempConfig } from '../../support/processes.ts';
import { runMonitor } from '../monitor/spmonitor-process.ts';
import { EvsRecorder, drain, waitForViews, waitUntil } from '../../support/evs-client-log.ts';
import { checkClientLogs } from '../../checkers/client-evs.ts';

const PORT = 32660;

function config(n: number): string {
  const lines = [`Spread_Segment 127.255.255.255:${PORT} {`];
  for (let i = 1; i <= n; i++) lines.push(`  d${i} 127.0.0.${i} { D 127.0.0.${i} C 127.0.0.${i} }`);
  return [...lines, '}', ...FAST_TIMEOUTS, ''].join('\n');
}

const GROUP = 'reload';
const SETTLE_MS = 40_000;

test('a fourth daemon joins a running ring by reload while clients send; nobody is disconnected; EVS holds', async () => {
  const logs = [0, 1, 2].map(() => memoryLogger({ categories: ['CONFIGURATION'] }));
  const three: RunningDaemon[] = [];
  for (let i = 0; i < 3; i++) three.push(...(await startTestDaemons(config(3), [`d${i + 1}`], { log: logs[i]!.logger })));
  const [d4] = await startTestDaemons(config(4), ['d4']);
  const all = [...three, d4!];
  const recorders: EvsRecorder[] = [];
  try {
    await waitForRing(three, 3);
    const spread = (i: number): string => `${all[i]!.tcpPort}@127.0.0.${i + 1}`;
    for (let i = 0; i < 3; i++) recorders.push(await EvsRecorder.connect({ spread: spread(i), user: `u${i + 1}`, group: GROUP, intervalMs: 5 }));
    await waitForViews(recorders, recorders.map((r) => r.privateName), SETTLE_MS, 'the three clients in one view');
    for (const r of recorders) r.startSending();
    await new Promise((r) => setTimeout(r, 300));
    // reloaded one after the other, as an operator would: the ring splits by configuration hash
    // until all three have the new file, then merges with the fourth daemon
    for (const d of three) assert.equal(await d.reload(config(4)), true);
    await waitForRing(all, 4, SETTLE_MS);
    recorders.push(await EvsRecorder.connect({ spread: spread(3), user: 'u4', group: GROUP, intervalMs: 5 }));
    recorders[3]!.startSending();
    await waitForViews(recorders, recorders.map((r) => r.privateName), SETTLE_MS, 'the four clients in one view');
    await new Promise((r) => setTimeout(r, 300));
    await drain(recorders, SETTLE_MS);
    assert.ok(recorders.every((r) => !r.lost), 'no client was disconnected');
    const report = checkClientLogs(recorders.map((r) => r.log), { group: GROUP });
    assert.deepEqual(report.violations, [], `${report.legend}\n${report.violations.join('\n')}`);
    for (const l of logs) assert.match(l.sink.text(), /configuration reloaded/);
  } finally {
    await Promise.all(recorders.map((r) => r.close()));
    await Promise.all(all.map((d) => d.stop()));
  }
});

test('a reload that does not parse, or renames this daemon, is refused; the ring goes on', async () => {
  const logs = [0, 1, 2].map(() => memoryLogger({ categories: ['CONFIGURATION'] }));
  const three: RunningDaemon[] = [];
  for (let i = 0; i < 3; i++) three.push(...(await startTestDaemons(config(3).replace(`:${PORT}`, `:${PORT + 10}`), [`d${i + 1}`], { log: logs[i]!.logger })));
  try {
    await waitForRing(three, 3);
    const before = three[0]!.node.ring!.status().ringId;
    assert.equal(await three[0]!.reload('Spread_Segment 127.255.255.255:4803 {\n  d1 127.0.0.1\n'), false);
    assert.match(logs[0]!.sink.text(), /reload refused: .*expected.*the configuration in force stays/s);
    assert.equal(await three[1]!.reload(config(3).replace(`:${PORT}`, `:${PORT + 10}`).replace('d2 127.0.0.2', 'x2 127.0.0.2')), false);
    assert.match(logs[1]!.sink.text(), /reload refused: daemon d2 is not in the new configuration/);
    assert.equal(await three[2]!.reload('Spread_Segment 127.255.255.255:4803 {\n  d3 127.0.0.3\n}\n'), false);
    assert.match(logs[2]!.sink.text(), /reload refused: going to or from a one-daemon configuration/);
    const after = three[0]!.node.ring!.status();
    assert.deepEqual(after.ringId, before, 'no membership change');
    assert.equal(after.members.length, 3);
  } finally {
    await Promise.all(three.map((d) => d.stop()));
  }
});

test('spmonitor reload: daemons re-read the file they started from; refused without DangerousMonitor', async () => {
  const port = PORT + 20;
  const text = (n: number, dangerous: boolean): string => config(n).replace(`:${PORT}`, `:${port}`) + (dangerous ? 'DangerousMonitor = true\n' : '');
  const path = writeTempConfig(text(3, false));
  const dir = mkdtempSync(join(tmpdir(), 'spread-reload-'));
  const start = (name: string, file: string): Promise<RunningDaemon> =>
    startDaemon({ configPath: file, procName: name, port: 0, unixSocketPath: join(dir, name) });
  const three = [await start('d1', path), await start('d2', path), await start('d3', path)];
  const all = [...three];
  try {
    await waitForRing(three, 3);
    // DangerousMonitor off in the file in force: the daemons refuse, whatever the monitor runs
    const refused = await runMonitor(['-c', path, '-n', 'd1', 'reload']);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /d1: REFUSED/);
    // the file gains DangerousMonitor and a fourth daemon; SIGHUP-style reload of the same file
    writeFileSync(path, text(3, true));
    assert.deepEqual(await Promise.all(three.map((d) => d.reload())), [true, true, true]);
    await waitForRing(three, 3);
    writeFileSync(path, text(4, true));
    all.push(await start('d4', path));
    const run = await runMonitor(['-c', path, '-n', 'd1', 'reload']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    for (const name of ['d1', 'd2', 'd3', 'd4']) assert.match(run.stdout, new RegExp(`${name}: accepted \\(configuration reloaded\\)`));
    await waitForRing(all, 4, 30_000);
  } finally {
    await Promise.all(all.map((d) => d.stop()));
  }
});

test('daemons that run different files never form a ring, and the log says why', async () => {
  const text = config(2).replace(`:${PORT}`, `:${PORT + 30}`);
  const logs = [0, 1].map(() => memoryLogger({ categories: ['PROTOCOL'] }));
  const [d1] = await startTestDaemons(text, ['d1'], { log: logs[0]!.logger });
  const [d2] = await startTestDaemons(`${text}AcceleratedRing = false\n`, ['d2'], { log: logs[1]!.logger });
  try {
    const said = (l: (typeof logs)[number]): boolean => /sends with configuration hash [0-9a-f]+, mine is [0-9a-f]+: it runs another spread\.conf/.test(l.sink.text());
    await waitUntil(() => logs.every(said), 20_000, () => 'the reason in both logs');
    assert.equal(logs[0]!.sink.text().match(/runs another spread\.conf/g)!.length, 1, 'said once');
    for (const d of [d1!, d2!]) assert.equal(d.node.ring!.status().members.length, 1);
  } finally {
    await Promise.all([d1!, d2!].map((d) => d.stop()));
  }
});
