// membership-stream end to end in VS mode (--vs): two watchers joined through the VS layer see
// each other's views installed, one of them as JSON lines, and the departure of the other.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stopDaemon, type DaemonProcess } from '../support/processes.ts';
import { LineProcess, startDaemon } from './procs.ts';

const PORT = 24140;
const SPREAD = `${PORT}@127.0.0.1`;
let daemon: DaemonProcess;
const started: LineProcess[] = [];

before(async () => {
  daemon = await startDaemon(PORT);
});

after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await stopDaemon(daemon);
});

interface ViewJson {
  group: string;
  members: string[];
  cause: string;
  changed?: string;
  joined: string[];
  left: string[];
}

test('VS views of a group, as text and as JSON, printed as they change', async () => {
  const w1 = LineProcess.start('membership-stream.mjs', ['--vs', '--group', 'views', '--spread', SPREAD, '--name', 'w1']);
  started.push(w1);
  assert.equal(await w1.next('membership-stream:'), 'membership-stream: watching views as #w1#d1 (VS views); Ctrl-C stops');
  await w1.next('views: 1 member after join of #w1#d1: #w1#d1');

  const w2 = LineProcess.start('membership-stream.mjs', ['--vs', '--json', '--group', 'views', '--spread', SPREAD, '--name', 'w2']);
  started.push(w2);
  const first = JSON.parse(await w2.next(/^\{/)) as ViewJson;
  assert.deepEqual(
    { group: first.group, members: first.members, cause: first.cause, changed: first.changed, joined: first.joined, left: first.left },
    { group: 'views', members: ['#w1#d1', '#w2#d1'], cause: 'join', changed: '#w2#d1', joined: ['#w1#d1', '#w2#d1'], left: [] },
  );
  await w1.next('views: 2 members after join of #w2#d1: #w1#d1 #w2#d1');

  assert.deepEqual(await w2.stop('SIGINT'), { code: 0, signal: null });
  await w1.next('views: 1 member after disconnect of #w2#d1: #w1#d1');
  assert.deepEqual(await w1.stop('SIGINT'), { code: 0, signal: null });
});
