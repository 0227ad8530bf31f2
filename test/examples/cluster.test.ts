// The walkthrough of examples/README.md, step by step, with the same commands (on the test's
// ports): start kv-cluster; write and read; kill n3 and write on; restart n3 and wait for it
// to catch up; partition d3 away with spmonitor and see n3 refuse writes while n1 and n2 go
// on; heal and see n3 converge; Ctrl-C stops every process and removes the folder.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { alive, LineProcess, runBin } from './procs.ts';

const PORT = 24100;
const [N1, N2, N3] = [24110, 24111, 24112].map((p) => `http://127.0.0.1:${p}`) as [string, string, string];
let cluster: LineProcess | undefined;
const pids: number[] = [];

after(async () => {
  await cluster?.stop('SIGTERM');
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** `kvctl args...`: its stdout, asserting it succeeded. */
async function kvctl(...args: string[]): Promise<string> {
  const r = await runBin('kvctl.mjs', args);
  assert.equal(r.code, 0, `kvctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The pid in "kv-cluster: <name> started (pid N) ...", remembered for the final check. */
async function started(c: LineProcess, name: string): Promise<void> {
  const line = await c.next(new RegExp(`^kv-cluster: ${name} started \\(pid (\\d+)\\)`));
  pids.push(Number(/pid (\d+)/.exec(line)![1]));
}

test('the cluster walkthrough of examples/README.md', async () => {
  // 1. Start the cluster.
  const c = LineProcess.start('kv-cluster.mjs', ['--port', String(PORT), '--http-port', '24110']);
  cluster = c;
  const folder = (await c.next(/^kv-cluster: folder /)).split(' ')[2]!;
  const conf = (await c.next(/^kv-cluster: config /)).split(' ')[2]!;
  assert.equal(conf, `${folder}/spread.conf`);
  for (const name of ['d1', 'd2', 'd3', 'n1', 'n2', 'n3']) await started(c, name);
  await c.next('kv-cluster: ready: n1, n2 and n3 are primary and agree', 120_000);
  await c.next(`kv-cluster:   n3  ${N3}  daemon d3 (${PORT}@127.0.0.3)`);

  // 2. Write through n1, read through n3.
  assert.match(await kvctl('--node', N1, 'put', 'greeting', 'hello'), /^put greeting: ok at index \d+\n$/);
  assert.equal(await kvctl('--node', N3, 'get', 'greeting'), 'hello\n');

  // 3. Kill n3 (typed in the cluster's terminal); n1 and n2 stay a majority.
  c.write('kill n3');
  await c.next(/^kv-cluster: killing n3 \(pid \d+\) with SIGKILL$/);
  await c.next('kv-cluster: n3 exited (signal SIGKILL)');
  await c.next(/^n1: primary {2}view n1,n2 /);

  // 4. Write on without n3. (The README's commands one after another; independent, so run together here.)
  const [color, size, down] = await Promise.all([kvctl('--node', N1, 'put', 'color', 'blue'), kvctl('--node', N2, 'put', 'size', 'large'), runBin('kvctl.mjs', ['--node', N3, 'get', 'color'])]);
  assert.match(color, /^put color: ok/);
  assert.match(size, /^put size: ok/);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^kvctl: cannot reach http:\/\/127\.0\.0\.1:24112: connect ECONNREFUSED/);

  // 5. Restart n3: it catches up from a peer.
  c.write('start n3');
  await started(c, 'n3');
  await c.next(/^n3: primary, catching up {2}view n1,n2,n3 /);
  const caughtUp = await kvctl('--node', N3, 'wait', '--primary', '--same-as', N1);
  assert.match(caughtUp, /^n3: primary {2}view n1,n2,n3 {2}applied \d+ {2}digest [0-9a-f]{12}\n$/);
  assert.equal(await kvctl('--node', N3, 'get', 'color'), 'blue\n');

  // 6. Partition d3 (and n3 with it) away with the monitor.
  const part = await runBin('spmonitor.mjs', ['-c', conf, '-n', 'd1', 'partition', '0', '0', '1']);
  assert.equal(part.code, 0, part.stderr);
  assert.equal(part.stdout, 'd1: accepted (partition applied)\nd2: accepted (partition applied)\nd3: accepted (partition applied)\n');
  assert.match(await kvctl('--node', N3, 'wait', '--not-primary'), /^n3: non-primary {2}view n3 /);
  const [refused, local, sun] = await Promise.all([
    runBin('kvctl.mjs', ['--node', N3, 'put', 'weather', 'rain']),
    kvctl('--node', N3, 'get', 'greeting', '--consistency', 'local', '--meta'),
    kvctl('--node', N1, 'put', 'weather', 'sun'),
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^kvctl: NOT_PRIMARY: not in the primary component \(view .+, members n3\)\n$/);
  assert.match(local, /^greeting = hello {2}\(mod index \d+, version 1\) {2}read at index \d+, stale\n$/);
  assert.match(sun, /^put weather: ok/);

  // 7. Heal: n3 merges back and converges.
  const heal = await runBin('spmonitor.mjs', ['-c', conf, '-n', 'd1', 'partition', '--cancel']);
  assert.equal(heal.code, 0, heal.stderr);
  assert.match(await kvctl('--node', N3, 'wait', '--primary', '--same-as', N1), /^n3: primary {2}view n1,n2,n3 /);
  assert.equal(await kvctl('--node', N3, 'get', 'weather'), 'sun\n');

  // 8. Ctrl-C: nodes, then daemons, all stopped; the temp folder removed.
  assert.deepEqual(await c.stop('SIGINT'), { code: 0, signal: null });
  assert.ok(c.lines.includes('kv-cluster: SIGINT: stopping the KV nodes, then the daemons'));
  assert.ok(c.lines.includes('kv-cluster: all 6 processes stopped'));
  assert.ok(c.lines.includes(`kv-cluster: removed ${folder}`));
  assert.equal(existsSync(folder), false);
  assert.deepEqual(pids.filter(alive), [], 'no process left behind');
});
