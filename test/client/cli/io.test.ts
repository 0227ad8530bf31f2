// The CLI plumbing: fgets semantics on stdin and sscanf-like parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FgetsReader, cString, padLeft, scanUnsigned, scanWords } from '../../../client/cli/io.ts';

test('fgets: lines with their newline, long lines in pieces of size-1, the last line without newline, then null', async () => {
  const input = new PassThrough();
  const r = new FgetsReader(input);
  assert.equal(r.lineReady, false);
  const first = r.fgets(130);
  input.write('j ch');
  input.write('at\ns chat\n');
  assert.equal((await first)?.toString(), 'j chat\n');
  assert.equal(r.lineReady, true);
  assert.equal((await r.fgets(130))?.toString(), 's chat\n');
  input.write(`${'x'.repeat(250)}\n`);
  assert.equal((await r.fgets(200))?.length, 199);
  assert.equal((await r.fgets(200))?.toString(), `${'x'.repeat(51)}\n`);
  input.end('tail');
  await r.waitLine();
  assert.equal((await r.fgets(130))?.toString(), 'tail');
  assert.equal(await r.fgets(130), null);
  assert.equal(r.lineReady, true);
});

test('sscanf-like helpers', () => {
  assert.deepEqual(scanWords(' g1  g2\tg3\n', 10), ['g1', 'g2', 'g3']);
  assert.deepEqual(scanWords(Array.from({ length: 12 }, (_, i) => `g${i}`).join(' '), 10).length, 10);
  assert.deepEqual(scanWords('\n', 10), []);
  assert.equal(scanUnsigned(' 100\n'), 100);
  assert.equal(scanUnsigned('12abc'), 12);
  assert.equal(scanUnsigned('abc'), undefined);
  assert.equal(scanUnsigned('-1'), 2 ** 32 - 1, '%u wraps a negative number');
  assert.deepEqual([...cString(Buffer.from('ab\0cd'))], [0x61, 0x62]);
  assert.equal(padLeft(1000, 6), '  1000');
});
