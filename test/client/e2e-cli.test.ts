// End to end, the tools against our daemon: two spusers chatting (memberships, data, the
// disconnect seen by the other), and spflooder runs (sizes up to 100000, -n with two senders,
// a -ro / -wo pair).
import { test, before, after, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startRealDaemon, type TestDaemon } from './helpers/real-daemon.ts';
import { Cli, runCli } from './helpers/child.ts';

let d: TestDaemon;
before(async () => {
  d = await startRealDaemon();
});
after(async () => {
  await d?.stop();
});

const SEP = '\n============================\n';

/** Every spflooder uses the group "flooder": each flooder test gets a daemon of its own. */
async function ownDaemon(t: TestContext): Promise<TestDaemon> {
  const own = await startRealDaemon({ name: 'fl' });
  t.after(() => own.stop());
  return own;
}

describe('tools against our daemon', { concurrency: 3 }, () => {
  test('two spusers: join, SAFE message, leave, disconnect', async () => {
    const alice = new Cli('spuser.mjs', ['-u', 'alice', '-s', d.tcpName]);
    const bob = new Cli('spuser.mjs', ['-u', 'bob', '-s', d.unixPath]);
    await Promise.all([alice.waitFor('User> '), bob.waitFor('User> ')]);
    alice.write('j chat\n');
    await alice.waitFor('Due to the JOIN of #alice#sp1\n');
    bob.write('j chat\n');
    await bob.waitFor('Due to the JOIN of #bob#sp1\n');
    await alice.waitFor('Due to the JOIN of #bob#sp1\n');
    assert.ok(bob.stdout.includes('Received REGULAR membership for group chat with 2 members, where I am member 1:\n\t#alice#sp1\n\t#bob#sp1\ngrp id is '));
    bob.write('s chat\nhello from bob\n');
    const line = `${SEP}received SAFE message from #bob#sp1, of type 1, (endian 0) to 1 groups \n(15 bytes): hello from bob\n\n`;
    await alice.waitFor(line);
    await bob.waitFor(line);
    bob.write('l chat\n');
    await bob.waitFor('received membership message that left group chat\n');
    await alice.waitFor('Due to the LEAVE of #bob#sp1\n');
    bob.write('j chat\n');
    await alice.waitFor('Due to the JOIN of #bob#sp1\n', 30_000, 2);
    bob.write('q\n');
    assert.equal((await bob.exited).code, 0);
    await alice.waitFor('Due to the DISCONNECT of #bob#sp1\n');
    alice.end('q\n');
    const a = await alice.exited;
    assert.equal(a.code, 0);
    assert.ok(a.stdout.endsWith('\nBye.\n'));
  });

  test('spflooder: 1000-byte messages over TCP and 100000-byte messages over the Unix socket', async (t) => {
    const d = await ownDaemon(t);
    const small = await runCli('spflooder.mjs', ['-u', 'fs', '-s', d.tcpName, '-m', '3000', '--json']);
    assert.equal(small.code, 0, small.stdout + small.stderr);
    assert.ok(small.stdout.includes('flooder: completed multicast of 3000 messages, 1000 bytes each.\n'));
    const sj = JSON.parse(small.stdout.trim().split('\n').pop()!) as { messages: number; bytesPerMessage: number };
    assert.equal(sj.messages, 3000);
    const big = await runCli('spflooder.mjs', ['-u', 'fb', '-s', d.unixPath, '-m', '400', '-b', '100000', '--service', 'agreed', '--json']);
    assert.equal(big.code, 0, big.stdout + big.stderr);
    const bj = JSON.parse(big.stdout.trim().split('\n').pop()!) as { bytesPerMessage: number; service: string };
    assert.equal(bj.bytesPerMessage, 100000);
    assert.equal(bj.service, 'agreed');
  });

  test('spflooder -n 2: two senders wait for each other and both finish', async (t) => {
    const d = await ownDaemon(t);
    const [a, b] = await Promise.all([
      runCli('spflooder.mjs', ['-u', 'na', '-n', '2', '-s', d.tcpName, '-m', '1500', '-b', '200']),
      runCli('spflooder.mjs', ['-u', 'nb', '-n', '2', '-s', d.unixPath, '-m', '1500', '-b', '200']),
    ]);
    for (const r of [a, b]) {
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(r.stdout.includes('with 2 members, where I am member'));
      assert.ok(r.stdout.includes('flooder: completed multicast of 1500 messages, 200 bytes each.\n'));
    }
  });

  test('spflooder -ro receives what a -wo sender sends without joining', async (t) => {
    const d = await ownDaemon(t);
    const reader = new Cli('spflooder.mjs', ['-ro', '-u', 'ro', '-s', d.tcpName, '-m', '800', '-b', '10']);
    await reader.waitFor('flooder: Only receiving messages\n');
    await new Promise((r) => setTimeout(r, 300));
    const writer = await runCli('spflooder.mjs', ['-wo', '-u', 'wo', '-s', d.unixPath, '-m', '800', '-b', '10']);
    assert.equal(writer.code, 0, writer.stdout + writer.stderr);
    const r = await reader.exited;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.includes('flooder: completed multicast of 800 messages, 10 bytes each.\n'));
  });
});
