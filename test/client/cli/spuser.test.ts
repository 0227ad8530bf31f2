// spuser as a child process against scripted daemons: commands, prompts and the reference's
// printed lines (data, regular and network memberships, transitional, self-leave, reject),
// from little- and big-endian daemons; flags, errors and end of input.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessageHead } from '../../../client/wire/message.ts';
import { encodeTransitionMessage } from '../../../client/wire/membership.ts';
import { REG_MEMB_MESS, CAUSED_BY_NETWORK } from '../../../client/wire/constants.ts';
import { startFakeDaemon, type FakeDaemon } from '../helpers/fake-daemon.ts';
import { echoScript } from '../helpers/echo-script.ts';
import { bigEndianDaemonCopy, dataFrame } from '../helpers/frames.ts';
import { networkMembershipBody } from '../../support/spec-dumps.ts';
import { Cli, runCli } from '../helpers/child.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

async function daemon(opts: Parameters<typeof startFakeDaemon>[0]): Promise<FakeDaemon> {
  const d = await startFakeDaemon(opts);
  daemons.push(d);
  return d;
}

const SEP = '\n============================\n';

function networkFrame(): Buffer {
  const body = networkMembershipBody();
  return Buffer.concat([encodeMessageHead(REG_MEMB_MESS | CAUSED_BY_NETWORK, 'G', ['#a1#n1', '#b1#n1', '#c2#n2'], 0, body.length), body]);
}

function rejectFrame(): Buffer {
  const f = Buffer.alloc(48 + 4 + 64 + 5);
  f.writeUInt32LE(0x80400080, 0);
  f.write('#c2#n2', 4, 'latin1');
  f.writeInt32LE(2, 36);
  f.writeUInt32LE(0x80010280, 40);
  f.writeInt32LE(5, 44);
  f.writeUInt32LE(0x80000090, 48);
  f.write('chat', 52, 'latin1');
  f.write('#c2#n2', 84, 'latin1');
  f.write('hello', 116, 'latin1');
  return f;
}

describe('spuser', { concurrency: 3 }, () => {
  test('join, send, burst, poll, leave and quit print the reference lines', async () => {
    const d = await daemon({ script: echoScript() });
    const c = new Cli('spuser.mjs', ['-u', 'alice', '-s', d.spreadName]);
    await c.waitFor('User> ');
    assert.ok(c.stdout.startsWith(`Spread library version is 5.0.1\nUser: connected to ${d.spreadName} with private group #alice#sp1\n\n==========\nUser Menu:\n`));
    assert.ok(c.stdout.includes('\tb <group> -- send a burst of messages\n'));
    c.write('j chat\n');
    await c.waitFor('Due to the JOIN of #alice#sp1\n\nUser> ');
    assert.ok(
      c.stdout.endsWith(
        `\nUser> ${SEP}Received REGULAR membership for group chat with 1 members, where I am member 0:\n\t#alice#sp1\ngrp id is 7 8 1\nDue to the JOIN of #alice#sp1\n\nUser> `,
      ),
    );
    c.write('s chat\nhello\n');
    await c.waitFor('hello\n\n\nUser> ');
    assert.ok(c.stdout.includes(`enter message: \nUser> ${SEP}received SAFE message from #alice#sp1, of type 1, (endian 0) to 1 groups \n(6 bytes): hello\n\n\nUser> `));
    c.write('m chat other\nline one\nline two\n\n');
    await c.waitFor('(18 bytes): line one\nline two\n\n');
    assert.ok(c.stdout.includes('received SAFE message from #alice#sp1, of type 1, (endian 0) to 2 groups \n(18 bytes): line one\nline two\n'));
    c.write('d\nb chat\n20\n');
    await c.waitFor('sent message 10 (total 12)\n');
    assert.ok(c.stdout.includes('enter size of each message: sending 10 messages of 20 bytes\nsent message 1 (total 3)\n'));
    // Asynchronous reading is off: the burst waits until `r` or `e`.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!c.stdout.includes('received FIFO'));
    c.write('p\n');
    await c.waitFor(/Polling sais: (\d+)\n/);
    assert.equal(Number(/Polling sais: (\d+)/.exec(c.stdout)![1]), 10 * (48 + 32 + 20));
    c.write('r\n');
    await c.waitFor('(20 bytes): mess num 3 \n');
    assert.ok(c.stdout.includes(`${SEP}received FIFO message from #alice#sp1, of type 2, (endian 0) to 1 groups \n(20 bytes): mess num 3 \n\nUser> \nUser> `));
    c.write('e\n');
    await c.waitFor('(20 bytes): mess num 12 \n');
    c.write('l chat\n');
    await c.waitFor('received membership message that left group chat\n\nUser> ');
    c.write('x\n');
    await c.waitFor('\nUnknown commnad\n');
    c.write('j\n');
    await c.waitFor(' invalid group \n');
    c.write('j a#b\n');
    await c.waitFor('SP_error: (-14) Illegal group\n');
    c.write('q\n');
    const exit = await c.exited;
    assert.equal(exit.code, 0);
    assert.ok(exit.stdout.endsWith('\nBye.\n'));
  });

  for (const { label, conv } of [
    { label: 'little-endian', conv: (b: Buffer): Buffer => b },
    { label: 'big-endian', conv: bigEndianDaemonCopy },
  ]) {
    test(`network membership, transitional, reject and Java data from a ${label} daemon`, async () => {
      const javaData = dataFrame(0x10, '#j#n1', ['G'], 0, 'hi');
      javaData.writeUInt32BE(0x00010200, 40);
      const d = await daemon({
        daemonName: 'n2',
        script: echoScript(() => [conv(networkFrame()), conv(encodeTransitionMessage('G', { procId: 1, time: 2, index: 3 })), conv(rejectFrame()), conv(javaData)]),
      });
      const c = new Cli('spuser.mjs', ['-u', 'c2', '-s', d.spreadName]);
      await c.waitFor('User> ');
      c.write('j G\n');
      await c.waitFor('(2 bytes): hi\n');
      const out = c.stdout;
      assert.ok(
        out.includes(
          `${SEP}Received REGULAR membership for group G with 3 members, where I am member 2:\n\t#a1#n1\n\t#b1#n1\n\t#c2#n2\ngrp id is 1249384167 1796093166 1\n` +
            'Due to NETWORK change with 2 VS sets\nOTHER VS set 0 has 2 members:\n\t#a1#n1\n\t#b1#n1\nLOCAL VS set 1 has 1 members:\n\t#c2#n2\n\nUser> ',
        ),
        out,
      );
      assert.ok(out.includes(`${SEP}received TRANSITIONAL membership for group G\n\nUser> `));
      assert.ok(out.includes(`${SEP}REJECTED message from #c2#n2, of servicetype 0x400010 messtype 258, (endian 0) to 2 groups \n(5 bytes): hello\n\nUser> `));
      assert.ok(out.includes(`${SEP}received AGREED message from #j#n1, of type 258, (endian 1) to 1 groups \n(2 bytes): hi\n`));
      c.end();
      const exit = await c.exited;
      assert.equal(exit.code, 0, 'end of input quits');
      assert.ok(exit.stdout.endsWith('\nBye.\n'));
    });
  }

  test('a message larger than its buffer: the DROP_RECV retry, then the reference gives up', async () => {
    const d = await daemon({ script: (s) => void setTimeout(() => s.send(dataFrame(0x04, '#x#sp1', ['g'], 0, Buffer.alloc(120_000, 0x41))), 100) });
    const c = new Cli('spuser.mjs', ['-r', '-s', d.spreadName]);
    const exit = await c.exited;
    assert.equal(exit.code, 0);
    assert.ok(exit.stdout.includes('private group #r1234-9#sp1\n'));
    assert.ok(exit.stdout.endsWith(`User> ${SEP}\n========Buffers or Groups too Short=======\nSP_error: (-15) The supplied buffer was too short\n${SEP}\nBye.\n`), exit.stdout);
  });

  test('the daemon closing the connection ends the session like the reference', async () => {
    const d = await daemon({ script: (s) => void setTimeout(() => s.end(), 300) });
    const c = new Cli('spuser.mjs', ['-u', 'bob', '-s', d.spreadName]);
    const done = await c.exited;
    assert.equal(done.code, 0);
    assert.ok(done.stdout.endsWith(`User> ${SEP}SP_error: (-8) Connection closed by spread\n${SEP}\nBye.\n`), done.stdout);
  });

  test('piped input all at once', async () => {
    const d = await daemon({ script: echoScript() });
    const exit = await runCli('spuser.mjs', ['-u', 'p', '-s', d.spreadName], 'j chat\nq\n');
    assert.equal(exit.code, 0);
    assert.ok(exit.stdout.endsWith('\nBye.\n'));
  });

  test('flags: --help, unknown options and connection failures', async () => {
    const help = await runCli('spuser.mjs', ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /-u, --user <user name>/);
    assert.match(help.stdout, /-s, --spread <address>/);
    assert.match(help.stdout, /-r, --random/);
    const bad = await runCli('spuser.mjs', ['-x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unknown option '-x'/);
    const nowhere = await runCli('spuser.mjs', ['-s', '1@127.0.0.1']);
    assert.equal(nowhere.code, 1);
    assert.ok(nowhere.stdout.endsWith('SP_error: (-2) Could not connect. Is Spread running?\n\nBye.\n'));
  });
});
