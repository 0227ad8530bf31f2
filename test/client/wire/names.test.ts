import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readName, writeName } from '../../../client/wire/names.ts';

function slot(name: string, len = 32): Buffer {
  const b = Buffer.alloc(len);
  writeName(b, 0, name, len);
  return b;
}

test('readName gives each slot its own name, whatever it read before', () => {
  // Many names of the same lengths, read in rounds: every hash slot is reused and collided.
  const names: string[] = [];
  for (let i = 0; i < 500; i++) names.push(`g${(i * 7919) % 1000}`.padEnd(3 + (i % 5), 'x'));
  names.push('', '#a#d1', '#b#d1', 'ab', 'ba', 'a\u00e9', 'a\u00ff');
  for (let round = 0; round < 3; round++) {
    for (const n of names) assert.equal(readName(slot(n), 0), n);
  }
});

test('readName stops at the NUL or at the slot length, and reads at an offset', () => {
  const b = Buffer.concat([Buffer.from('zz'), slot('group'), Buffer.from('abcdefghij')]);
  assert.equal(readName(b, 2), 'group');
  assert.equal(readName(b, 34, 4), 'abcd');
  assert.equal(readName(b, 34, 10), 'abcdefghij');
  assert.equal(readName(b, 34, 3), 'abc');
});

test('readName after the bytes of a slot changed in place gives the new name', () => {
  const b = slot('alpha');
  assert.equal(readName(b, 0), 'alpha');
  b[0] = 0x62; // 'b': same length, other bytes
  assert.equal(readName(b, 0), 'blpha');
  b[5] = 0x21; // one byte longer
  assert.equal(readName(b, 0), 'blpha!');
});
