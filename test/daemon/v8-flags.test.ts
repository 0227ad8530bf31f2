import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DAEMON_V8_FLAGS, daemonNodeArgs, missingDaemonV8Flags } from '../../daemon/v8-flags.ts';

test("bin/spread.mjs's shebang passes exactly DAEMON_V8_FLAGS", () => {
  const shebang = readFileSync(new URL('../../bin/spread.mjs', import.meta.url), 'utf8').split('\n')[0]!;
  assert.match(shebang, /^#!\/usr\/bin\/env -S node /);
  assert.deepEqual(shebang.replace('#!/usr/bin/env -S node ', '').trim().split(/\s+/), [...DAEMON_V8_FLAGS]);
});

test('missingDaemonV8Flags names what a command line lacks, whatever its value or spelling', () => {
  assert.deepEqual(missingDaemonV8Flags([]), [...DAEMON_V8_FLAGS]);
  assert.deepEqual(missingDaemonV8Flags(['--inspect']), [...DAEMON_V8_FLAGS]);
  assert.deepEqual(missingDaemonV8Flags([...DAEMON_V8_FLAGS]), []);
  assert.deepEqual(missingDaemonV8Flags(['--initial-old-space-size=256']), []);
  assert.deepEqual(missingDaemonV8Flags(['--initial_old_space_size=256']), []);
});

test('daemonNodeArgs puts the V8 settings before the script and the daemon arguments after it', () => {
  const args = daemonNodeArgs(['-c', 'x.conf', '-n', 'd1']);
  assert.deepEqual(args.slice(0, DAEMON_V8_FLAGS.length), [...DAEMON_V8_FLAGS]);
  assert.match(args[DAEMON_V8_FLAGS.length]!, /\/bin\/spread\.mjs$/);
  assert.deepEqual(args.slice(DAEMON_V8_FLAGS.length + 1), ['-c', 'x.conf', '-n', 'd1']);
});
