// The chat example end to end, as two people and an observer would run it against one daemon:
// alice and bob type lines (stdin) and read each other (stdout); membership-stream, watching the
// same room through EVS memberships, prints every join and leave.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stopDaemon, type DaemonProcess } from '../support/processes.ts';
import { LineProcess, startDaemon } from './procs.ts';

const PORT = 24130;
const SPREAD = `${PORT}@127.0.0.1`;
let daemon: DaemonProcess;
const started: LineProcess[] = [];

function start(bin: string, args: string[]): LineProcess {
  const p = LineProcess.start(bin, args);
  started.push(p);
  return p;
}

before(async () => {
  daemon = await startDaemon(PORT);
});

after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await stopDaemon(daemon);
});

test('alice and bob chat; a membership stream on the room sees them come and go', async () => {
  const watch = start('membership-stream.mjs', ['--group', 'lobby', '--spread', SPREAD, '--name', 'watch']);
  await watch.next('lobby: 1 member after join of #watch#d1: #watch#d1');

  const alice = start('chat.mjs', ['--name', 'alice', '--room', 'lobby', '--spread', SPREAD]);
  assert.equal(await alice.next('* you joined'), '* you joined lobby as alice (here: alice, watch)');
  await watch.next('lobby: 2 members after join of #alice#d1: #alice#d1 #watch#d1');

  const bob = start('chat.mjs', ['--name', 'bob', '--room', 'lobby', '--spread', SPREAD]);
  assert.equal(await bob.next('* you joined'), '* you joined lobby as bob (here: alice, bob, watch)');
  assert.equal(await alice.next('* bob'), '* bob joined (here: alice, bob, watch)');
  await watch.next('lobby: 3 members after join of #bob#d1: #alice#d1 #bob#d1 #watch#d1');

  alice.write('hello bob');
  assert.equal(await bob.next('<alice>'), '<alice> hello bob');
  bob.write('hi alice');
  bob.write('/who');
  assert.equal(await alice.next('<bob>'), '<bob> hi alice');
  assert.equal(await bob.next('* here'), '* here: alice, bob, watch');
  assert.ok(!alice.lines.includes('<alice> hello bob'), 'your own lines are not echoed back');

  bob.write('/quit');
  assert.equal(await bob.next('* bye'), '* bye');
  assert.deepEqual(await bob.exited, { code: 0, signal: null });
  assert.equal(await alice.next('* bob'), '* bob left (here: alice, watch)');
  await watch.next('lobby: 2 members after leave of #bob#d1: #alice#d1 #watch#d1');

  // End of input leaves too.
  alice.endInput();
  assert.deepEqual(await alice.exited, { code: 0, signal: null });
  await watch.next('lobby: 1 member after leave of #alice#d1: #watch#d1');

  // A chat process that dies is a disconnect.
  const carol = start('chat.mjs', ['--name', 'carol', '--room', 'lobby', '--spread', SPREAD]);
  await carol.next('* you joined');
  await watch.next('after join of #carol#d1');
  await carol.stop('SIGKILL');
  await watch.next('lobby: 1 member after disconnect of #carol#d1: #watch#d1');

  assert.deepEqual(await watch.stop('SIGINT'), { code: 0, signal: null });
});

test('chat says why it cannot start', async () => {
  const p = start('chat.mjs', ['--name', 'dave', '--spread', '24139@127.0.0.1']);
  await p.next(/^chat: could not connect/);
  assert.deepEqual(await p.exited, { code: 1, signal: null });
});
