// spflooder as a child process against scripted daemons: what it sends (service, size, group,
// join or not), its flow control, its printed lines and the --json figures; flag errors.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { FIFO_MESS, JOIN_MESS, RELIABLE_MESS, SAFE_MESS } from '../../../client/wire/constants.ts';
import { startFakeDaemon, type FakeDaemon, type ClientFrame } from '../helpers/fake-daemon.ts';
import { echoScript } from '../helpers/echo-script.ts';
import { dataFrame } from '../helpers/frames.ts';
import { runCli } from '../helpers/child.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

/** Echoes like a daemon and keeps every frame the client sent. */
async function recordingEcho(): Promise<{ d: FakeDaemon; frames: ClientFrame[] }> {
  const frames: ClientFrame[] = [];
  const echo = echoScript();
  const d = await startFakeDaemon({
    script: (s) => {
      const next = s.nextFrame.bind(s);
      s.nextFrame = async (ms) => {
        const f = await next(ms);
        if (f !== null) frames.push(f);
        return f;
      };
      return echo(s);
    },
  });
  daemons.push(d);
  return { d, frames };
}

async function settle(frames: ClientFrame[], n: number): Promise<void> {
  for (let i = 0; i < 100 && frames.length < n; i++) await new Promise((r) => setTimeout(r, 20));
}

describe('spflooder', { concurrency: 3 }, () => {
  test('default run: joins flooder, RELIABLE messages, flow control on its own messages, --json figures', async () => {
    const { d, frames } = await recordingEcho();
    const exit = await runCli('spflooder.mjs', ['-s', d.spreadName, '-m', '2500', '-b', '300', '--json']);
    assert.equal(exit.code, 0, exit.stderr);
    const lines = exit.stdout.split('\n');
    assert.equal(lines[0], `flooder: connecting to ${d.spreadName}`);
    assert.equal(lines[1], 'flooder: starting  multicast of 2500 messages, 300 bytes each.');
    assert.equal(lines[2], 'flooder: completed   1000 messages of 300 bytes');
    assert.equal(lines[3], 'flooder: completed   2000 messages of 300 bytes');
    assert.equal(lines[4], 'flooder: completed multicast of 2500 messages, 300 bytes each.');
    assert.match(lines[5]!, /^flooder: elapsed \d+\.\d{3} s, \d+ messages\/s, \d+\.\d{2} Mbit\/s$/);
    const json = JSON.parse(lines[6]!) as Record<string, unknown>;
    assert.equal(json.messages, 2500);
    assert.equal(json.bytesPerMessage, 300);
    assert.equal(json.service, 'reliable');
    assert.equal(json.mode, 'read-write');
    assert.ok(typeof json.messagesPerSecond === 'number' && json.messagesPerSecond > 0);
    await settle(frames, 2502);
    assert.equal(frames[0]!.header.type, JOIN_MESS);
    const data = frames.filter((f) => f.header.type === RELIABLE_MESS);
    assert.equal(data.length, 2500);
    assert.ok(data.every((f) => f.header.dataLen === 300 && f.header.numGroups === 1 && f.bytes.subarray(48, 55).toString() === 'flooder'));
    assert.equal(d.sessions[0]!.name, 'flooder');
    assert.equal(d.sessions[0]!.membership, false);
  });

  test('-wo sends without joining or receiving; --service picks the service', async () => {
    const { d, frames } = await recordingEcho();
    const exit = await runCli('spflooder.mjs', ['-wo', '-u', 'w', '-s', d.spreadName, '-m', '300', '-b', '100000', '--service', 'safe']);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(exit.stdout.includes('flooder: starting  multicast of 300 messages, 100000 bytes each (self discarding).\n'));
    await settle(frames, 301);
    assert.ok(frames.every((f) => f.header.type !== JOIN_MESS));
    const data = frames.filter((f) => f.header.type === SAFE_MESS);
    assert.equal(data.length, 300);
    assert.equal(data[299]!.header.dataLen, 100000);
  });

  test('-ro only receives', async () => {
    const d = await startFakeDaemon({
      script: async (s) => {
        const join = await s.nextFrame();
        assert.equal(join?.header.type, JOIN_MESS);
        for (let i = 0; i < 50; i++) s.send(dataFrame(FIFO_MESS, '#other#sp1', ['flooder'], 0, Buffer.alloc(10)));
      },
    });
    daemons.push(d);
    const exit = await runCli('spflooder.mjs', ['-ro', '-u', 'r', '-s', d.spreadName, '-m', '50']);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(exit.stdout.includes('flooder: Only receiving messages\n'));
    assert.ok(exit.stdout.includes('flooder: completed multicast of 50 messages, 1000 bytes each.\n'));
  });

  test('-n waits for members, then sends FIFO messages carrying its index', async () => {
    const { d, frames } = await recordingEcho();
    const exit = await runCli('spflooder.mjs', ['-n', '1', '-u', 'n', '-s', d.spreadName, '-m', '400', '-b', '64', '--json']);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(exit.stdout.startsWith(`flooder: connecting to ${d.spreadName} with group membership\n`));
    assert.ok(exit.stdout.includes('Received REGULAR membership for group flooder with 1 members, where I am member 0:\n\t#n#sp1\n'));
    assert.equal(JSON.parse(exit.stdout.trim().split('\n').pop()!).service, 'fifo');
    await settle(frames, 401);
    const data = frames.filter((f) => f.header.type === FIFO_MESS);
    assert.equal(data.length, 400);
    assert.equal(data[0]!.bytes.readInt32LE(80), 0);
    assert.equal(d.sessions[0]!.membership, true);
  });

  test('bad flags exit non-zero with a message', async () => {
    for (const args of [['-b', '0'], ['-b', '100001'], ['-n', '101'], ['--service', 'fast']]) {
      const exit = await runCli('spflooder.mjs', args);
      assert.notEqual(exit.code, 0, args.join(' '));
      assert.match(exit.stderr, /error: option/, args.join(' '));
    }
  });
});
