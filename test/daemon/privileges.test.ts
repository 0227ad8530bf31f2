// RuntimeDir, DaemonUser, DaemonGroup: the decision (pure), the steps performed in order with
// fake process calls, the log lines that say what could not be done (no chroot in Node.js),
// and, when the tests run as root, a real daemon process that gives up root.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, realpathSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../daemon/log/index.ts';
import { dropPrivileges, planPrivilegeDrop, PrivilegeError, type PrivilegeOps } from '../../daemon/privileges.ts';
import { spawnDaemon, stopDaemon, writeTempConfig } from '../support/processes.ts';

const input = { runtimeDir: '/var/run/spread', runtimeDirExists: true, daemonUser: 'u', daemonGroup: 'g', defaultAccountsMissing: false };

describe('planPrivilegeDrop', () => {
  test('not root, or no user ids: nothing to do, and the log says why', () => {
    const p = planPrivilegeDrop({ ...input, uid: 1000 });
    assert.deepEqual(p.steps, []);
    assert.match(p.notes[0]!.message, /uid 1000, not root/);
    assert.deepEqual(planPrivilegeDrop({ ...input, uid: undefined }).steps, []);
  });

  test('root: chdir into RuntimeDir, supplementary groups, group, then user; no chroot, said plainly', () => {
    const p = planPrivilegeDrop({ ...input, uid: 0 });
    assert.deepEqual(p.steps, [
      { kind: 'chdir', dir: '/var/run/spread' },
      { kind: 'setgroups', group: 'g' },
      { kind: 'setgid', group: 'g' },
      { kind: 'setuid', user: 'u' },
    ]);
    assert.deepEqual(p.notes.map((n) => n.category), ['PRINT']);
    assert.match(p.notes[0]!.message, /Node\.js cannot chroot/);
  });

  test('root, RuntimeDir missing: no chdir, still drops', () => {
    const p = planPrivilegeDrop({ ...input, uid: 0, runtimeDirExists: false });
    assert.deepEqual(p.steps.map((s) => s.kind), ['setgroups', 'setgid', 'setuid']);
    assert.match(p.notes[0]!.message, /does not exist/);
  });

  test('root with the default accounts missing: runs on as root and warns', () => {
    const p = planPrivilegeDrop({ ...input, uid: 0, defaultAccountsMissing: true });
    assert.deepEqual(p.steps, []);
    assert.deepEqual(p.notes.map((n) => n.category), ['PRINT']);
    assert.match(p.notes[0]!.message, /running as root/);
  });
});

describe('dropPrivileges', () => {
  function fakeOps(uid: number, fail?: string): { ops: PrivilegeOps; calls: string[] } {
    const calls: string[] = [];
    const call = (what: string): void => {
      if (what === fail) throw new Error(`${what} failed`);
      calls.push(what);
    };
    return {
      calls,
      ops: {
        getuid: () => uid,
        accountsExist: () => false,
        exists: () => true,
        chdir: (d) => call(`chdir ${d}`),
        setgroups: (g) => call(`setgroups ${g.join(',')}`),
        setgid: (g) => call(`setgid ${g}`),
        setuid: (u) => call(`setuid ${u}`),
      },
    };
  }
  const config = { runtimeDir: '/srv/spread', daemonUser: 'nobody', daemonGroup: 'nogroup' };

  test('as root: performs the steps in order and logs the drop and the missing chroot', () => {
    const { ops, calls } = fakeOps(0);
    const { logger, sink } = memoryLogger({ verbose: true });
    dropPrivileges(config, logger, ops);
    assert.deepEqual(calls, ['chdir /srv/spread', 'setgroups nogroup', 'setgid nogroup', 'setuid nobody']);
    assert.deepEqual(sink.lines, [
      'PRINT PRINT: RuntimeDir /srv/spread: working directory changed, but Node.js cannot chroot: the daemon still sees the whole file system',
      'PRINT PRINT: dropped root: running as user nobody, group nogroup',
    ]);
  });

  test('a failing step stops the daemon: PrivilegeError and a FATAL line', () => {
    const { ops, calls } = fakeOps(0, 'setuid nobody');
    const { logger, sink } = memoryLogger({ verbose: true });
    assert.throws(() => dropPrivileges(config, logger, ops), PrivilegeError);
    assert.deepEqual(calls, ['chdir /srv/spread', 'setgroups nogroup', 'setgid nogroup']);
    assert.deepEqual(sink.lines, ['EXIT FATAL: cannot become user nobody: setuid nobody failed']);
  });

  test('not root: touches nothing; the line is under CONFIGURATION', () => {
    const { ops, calls } = fakeOps(1000);
    const { logger, sink } = memoryLogger({ verbose: true, categories: ['CONFIGURATION'] });
    dropPrivileges(config, logger, ops);
    assert.deepEqual(calls, []);
    assert.equal(sink.lines.length, 1);
    assert.match(sink.lines[0]!, /^CONFIGURATION INFO: running as uid 1000, not root/);
  });
});

test('a daemon started as root runs as DaemonUser/DaemonGroup in RuntimeDir', { skip: process.getuid?.() !== 0 ? 'needs root' : false }, async () => {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'spread-run-'));
  chmodSync(runtimeDir, 0o755);
  const logDir = mkdtempSync(join(tmpdir(), 'spread-log-'));
  const log = join(logDir, 'd.log');
  const conf = writeTempConfig([
    'Spread_Segment 127.0.0.255:23610 {',
    '  solo 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }',
    '}',
    `EventLogFile = ${log}`,
    `RuntimeDir = ${runtimeDir}`,
    'DaemonUser = nobody',
    'DaemonGroup = nogroup',
    '',
  ].join('\n'));
  const d = await spawnDaemon(conf, 'solo', '127.0.0.1', 23610);
  try {
    const status = readFileSync(`/proc/${d.proc.pid}/status`, 'utf8');
    const nobody = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)!;
    assert.deepEqual(nobody.slice(1), ['65534', '65534', '65534'], 'real, effective and saved uid are nobody');
    assert.match(status, /^Gid:\s+65534\s+65534\s+65534/m);
    assert.match(status, /^Groups:\s+65534\s*$/m, 'no supplementary group of root is kept');
    assert.equal(readlinkSync(`/proc/${d.proc.pid}/cwd`), realpathSync(runtimeDir));
    const text = readFileSync(log, 'utf8');
    assert.match(text, /Node\.js cannot chroot/);
    assert.match(text, /dropped root: running as user nobody, group nogroup/);
  } finally {
    await stopDaemon(d);
  }
});
