// kv-node and kvctl end to end: node processes on one daemon, the HTTP API's answers and status
// codes checked with fetch, and kvctl's output and exit status. A lone replica of three is not
// primary and refuses writes (503); with a second one the pair is a majority and serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopDaemon, type DaemonProcess } from '../support/processes.ts';
import { LineProcess, runBin, startDaemon } from './procs.ts';

const PORT = 24120;
const N1 = 'http://127.0.0.1:24122';
const N2 = 'http://127.0.0.1:24123';
let daemon: DaemonProcess;
let dir: string;
const started: LineProcess[] = [];

function node(name: string, httpPort: number): LineProcess {
  const p = LineProcess.start('kv-node.mjs', ['--name', name, '--replicas', 'n1,n2,n3', '--data', join(dir, name), '--spread', `${PORT}@127.0.0.1`, '--http-port', String(httpPort)]);
  started.push(p);
  return p;
}

const kvctl = (...args: string[]) => runBin('kvctl.mjs', args);

async function http(method: string, url: string, body?: string | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method, body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kv-node-test-'));
  daemon = await startDaemon(PORT);
});

after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  await stopDaemon(daemon);
  rmSync(dir, { recursive: true, force: true });
});

test('a lone replica of three refuses writes and linearizable reads with 503; local reads are served, marked stale', async () => {
  const n1 = node('n1', 24122);
  await n1.next(`n1: HTTP API on ${N1}`);
  await n1.next(/^n1: non-primary {2}view n1 {2}applied 0/);
  const put = await http('PUT', `${N1}/kv/a`, '1');
  assert.equal(put.status, 503);
  assert.equal(put.json.error, 'NOT_PRIMARY');
  assert.deepEqual(put.json.members, ['n1']);
  assert.equal((await http('GET', `${N1}/kv/a`)).status, 503);
  const local = await http('GET', `${N1}/kv/a?consistency=local`);
  assert.deepEqual([local.status, local.json.error], [404, 'NOT_FOUND']);
  const r = await kvctl('--node', N1, 'put', 'a', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^kvctl: NOT_PRIMARY: not in the primary component \(view .*, members n1\)\n$/);
  const st = await kvctl('--node', N1, 'status');
  assert.match(st.stdout, /^n1: non-primary {2}view n1 {2}applied 0 {2}digest [0-9a-f]{12}\n$/);
});

test('two of three serve the API: get, put, del, range, CAS, If-Match, status, errors', async () => {
  const n2 = node('n2', 24123);
  await n2.next(`n2: HTTP API on ${N2}`);
  const w = await kvctl('--node', N1, 'wait', '--primary', '--same-as', N2);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^n1: primary {2}view n1,n2 {2}applied 0 /);

  // kvctl: the commands and what they print (independent reads run together).
  const p = await kvctl('--node', N1, 'put', 'greeting', 'hello');
  assert.match(p.stdout, /^put greeting: ok at index (\d+)\n$/);
  const index = Number(/index (\d+)/.exec(p.stdout)![1]);
  await http('PUT', `${N1}/kv/color`, 'blue');
  await http('PUT', `${N1}/kv/size`, 'large');
  const [get, meta, range, json] = await Promise.all([
    kvctl('--node', N2, 'get', 'greeting'),
    kvctl('--node', N2, 'get', 'greeting', '--meta'),
    kvctl('--node', N2, 'range', '--limit', '2'),
    kvctl('--node', N1, '--json', 'get', 'color'),
  ]);
  assert.equal(get.stdout, 'hello\n');
  assert.match(meta.stdout, new RegExp(`^greeting = hello {2}\\(mod index ${index}, version 1\\) {2}read at index \\d+\\n$`));
  assert.match(range.stdout, /^color = blue\ngreeting = hello\n\(more: use --start or a larger --limit\)\n\(2 keys at index \d+\)\n$/);
  const j = JSON.parse(json.stdout) as { entry: { key: string; value: string; version: number }; stale: boolean };
  assert.deepEqual([j.entry.key, j.entry.value, j.entry.version, j.stale], ['color', 'blue', 1, false]);
  const [stale, delSize] = await Promise.all([kvctl('--node', N2, 'cas', 'greeting', 'hi', '--expect-mod', String(index + 100)), kvctl('--node', N1, 'del', 'size')]);
  assert.equal(stale.code, 1);
  assert.equal(stale.stderr, `kvctl: CAS_FAILED: greeting is at mod index ${index} (value: hello)\n`);
  assert.match(delSize.stdout, /^del size: ok at index \d+\n$/);
  const [casOk, gone] = await Promise.all([kvctl('--node', N2, 'cas', 'greeting', 'hi', '--expect-value', 'hello'), kvctl('--node', N1, 'get', 'size')]);
  assert.match(casOk.stdout, /^cas greeting: ok at index \d+\n$/);
  assert.deepEqual([gone.code, gone.stderr], [1, 'kvctl: NOT_FOUND: size not found\n']);

  // The HTTP API directly: status codes and bodies.
  const put = await http('PUT', `${N1}/kv/dir%2Fa`, 'A');
  assert.equal(put.status, 200);
  const mod = put.json.index as number;
  assert.equal((await http('PUT', `${N1}/kv/dir%2Fa`, 'B', { 'if-match': String(mod + 1) })).status, 409);
  const ok = await http('PUT', `${N2}/kv/dir%2Fa`, 'B', { 'if-match': String(mod) });
  assert.deepEqual([ok.status, (ok.json.prev as { value: string }).value], [200, 'A']);
  const absent = await http('PUT', `${N2}/kv/dir%2Fa`, 'C', { 'if-none-match': '*' });
  assert.deepEqual([absent.status, absent.json.error, (absent.json.current as { value: string }).value], [409, 'CAS_FAILED', 'B']);
  await http('PUT', `${N1}/kv/dir%2Fb`, new Uint8Array([0xff, 0x00]));
  const bin = await http('GET', `${N2}/kv/dir%2Fb`);
  assert.equal((bin.json.entry as { valueBase64: string }).valueBase64, '/wA=', 'bytes that are not UTF-8 come back as base64');
  const r = await http('GET', `${N2}/kv?prefix=dir%2F&reverse=1`);
  assert.deepEqual((r.json.entries as Array<{ key: string }>).map((e) => e.key), ['dir/b', 'dir/a']);
  const cas = await http('POST', `${N1}/cas`, JSON.stringify({ key: 'dir/c', value: 'new', expect: { absent: true } }));
  assert.deepEqual([cas.status, cas.json.ok], [200, true]);
  const cas2 = await http('POST', `${N1}/cas`, JSON.stringify({ key: 'dir/c', value: 'again', expect: { absent: true } }));
  assert.deepEqual([cas2.status, cas2.json.error], [409, 'CAS_FAILED']);
  const del = await http('DELETE', `${N2}/kv/dir%2Fc`);
  assert.deepEqual([del.status, del.json.deleted], [200, true]);
  assert.equal((await http('DELETE', `${N2}/kv/dir%2Fc`)).status, 404);
  assert.equal((await http('GET', `${N1}/kv/x?consistency=strong`)).status, 400);
  assert.equal((await http('GET', `${N1}/kv?limit=-1`)).status, 400);
  assert.equal((await http('POST', `${N1}/cas`, 'not json')).status, 400);
  assert.equal((await http('PUT', `${N1}/kv/big`, 'x'.repeat(40 * 1024))).status, 400, 'larger than the store takes');
  assert.equal((await http('PUT', `${N1}/kv/huge`, 'x'.repeat(2 * 1024 * 1024))).status, 413);
  assert.equal((await http('POST', `${N1}/kv/x`)).status, 405);
  assert.equal((await http('GET', `${N1}/nothing`)).status, 404);
  const s1 = (await http('GET', `${N1}/status`)).json;
  const s2 = (await http('GET', `${N2}/status`)).json;
  assert.deepEqual([s1.node, s1.primary, s1.mode, s1.members], ['n1', true, 'primary', ['n1', 'n2']]);
  assert.deepEqual([s2.node, s2.primary, s2.members], ['n2', true, ['n1', 'n2']]);
  assert.match(s2.digest as string, /^[0-9a-f]{64}$/);
});

test('a node stopped with SIGTERM closes cleanly; its peer goes back to refusing writes', async () => {
  const n2 = started[1]!;
  assert.deepEqual(await n2.stop('SIGTERM'), { code: 0, signal: null });
  assert.ok(n2.lines.includes('n2: stopped'));
  const [w, bad] = await Promise.all([
    kvctl('--node', N1, 'wait', '--not-primary'),
    runBin('kv-node.mjs', ['--name', 'n9', '--replicas', 'n1,n2,n3', '--data', join(dir, 'n9'), '--spread', `${PORT}@127.0.0.1`, '--http-port', '24124']),
  ]);
  assert.match(w.stdout, /^n1: non-primary {2}view n1 /);
  assert.equal((await http('PUT', `${N1}/kv/late`, 'x')).status, 503);
  assert.deepEqual([bad.code, bad.stderr], [1, 'kv-node: --name n9 is not in --replicas n1,n2,n3\n']);
});
