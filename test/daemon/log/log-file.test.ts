// The `spread` process writing its log as the configuration says: EventLogFile with %h (the host
// name), EventTimeStamp with its format string, DebugFlags; then the same file in the JSON mode
// (--json-log) for log collectors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { spawnDaemon, stopDaemon, writeTempConfig } from '../../support/processes.ts';
import { daemonNodeArgs } from '../../../daemon/v8-flags.ts';

const root = new URL('../../..', import.meta.url).pathname;
/** The PRINT line that ends start-up ("running as root" is another PRINT line, earlier). */
const RUNNING = /Spread daemon solo V\S+ running/;

test('EventLogFile %h, EventTimeStamp format and DebugFlags, then --json-log appending JSON lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spread-logfile-'));
  const conf = writeTempConfig([
    'Spread_Segment 127.0.0.255:23600 {',
    '  solo 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }',
    '}',
    `EventLogFile = ${dir}/spread-%h.log`,
    'EventTimeStamp = "<%Y-%m-%d %H:%M:%S>"',
    'DebugFlags = { CONFIGURATION SESSION }',
    '',
  ].join('\n'));
  const file = join(dir, `spread-${hostname()}.log`);

  const d = await spawnDaemon(conf, 'solo', '127.0.0.1', 23600);
  // The client port opens before start-up ends with the PRINT line: stop once that is written.
  for (let i = 0; i < 300 && !(existsSync(file) && RUNNING.test(readFileSync(file, 'utf8'))); i++) await new Promise((r) => setTimeout(r, 50));
  await stopDaemon(d);
  assert.ok(existsSync(file), `%h became the host name: ${file}`);
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  for (const line of text) assert.match(line, /^<\d{4}-\d\d-\d\d \d\d:\d\d:\d\d> \S/, line);
  assert.ok(text.some((l) => RUNNING.test(l)), 'PRINT is always on');
  assert.ok(text.some((l) => /SIGTERM: shutting down/.test(l)), 'EXIT is always on');
  assert.ok(text.some((l) => /accepting clients on port 23600/.test(l)), 'SESSION is on');
  assert.ok(text.some((l) => /configuration \S+spread\.conf read on host /.test(l)), 'CONFIGURATION is on');
  assert.ok(!text.some((l) => /FLOW_CONTROL|window 160/.test(l)), 'FLOW_CONTROL is off');

  const before = readFileSync(file, 'utf8').length;
  const json = spawn(process.execPath, daemonNodeArgs(['-c', conf, '-n', 'solo', '--json-log']), { cwd: root, stdio: 'ignore' });
  const exited = new Promise((resolve) => json.once('exit', resolve));
  try {
    // Started once its PRINT line is in the file.
    for (let i = 0; i < 300 && !RUNNING.test(readFileSync(file, 'utf8').slice(before)); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    json.kill('SIGTERM');
    await exited;
  }
  const added = readFileSync(file, 'utf8').slice(before).trimEnd().split('\n');
  assert.ok(added.length >= 3, added.join('\n'));
  const objects = added.map((l) => JSON.parse(l) as { time: string; category: string; level: string; message: string });
  for (const o of objects) {
    assert.ok(!Number.isNaN(Date.parse(o.time)), o.time);
    assert.ok(['PRINT', 'EXIT', 'CONFIGURATION', 'SESSION'].includes(o.category), o.category);
  }
  assert.ok(objects.some((o) => o.category === 'PRINT' && RUNNING.test(o.message)));
});
