// The checker against hand-made good and bad register histories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistory, type HistoryEvent } from './linearizability.ts';

let t = 0;
const inv = (process: number, f: HistoryEvent['f'], value?: HistoryEvent['value'], key = 'x'): HistoryEvent => ({ process, type: 'invoke', f, key, ...(value !== undefined ? { value } : {}), time: t++ });
const ok = (process: number, f: HistoryEvent['f'], value?: HistoryEvent['value'], key = 'x'): HistoryEvent => ({ process, type: 'ok', f, key, ...(value !== undefined ? { value } : {}), time: t++ });
const info = (process: number, f: HistoryEvent['f'], key = 'x'): HistoryEvent => ({ process, type: 'info', f, key, time: t++ });
const fail = (process: number, f: HistoryEvent['f'], key = 'x'): HistoryEvent => ({ process, type: 'fail', f, key, time: t++ });

test('sequential write then read is linearizable', () => {
  assert.ok(checkHistory([inv(0, 'write', 'a'), ok(0, 'write'), inv(1, 'read'), ok(1, 'read', 'a')]).ok);
});

test('stale read after a completed write is not', () => {
  const r = checkHistory([inv(0, 'write', 'a'), ok(0, 'write'), inv(0, 'write', 'b'), ok(0, 'write'), inv(1, 'read'), ok(1, 'read', 'a')]);
  assert.equal(r.ok, false);
  assert.deepEqual(r.badKeys, ['x']);
});

test('concurrent write may be seen or not', () => {
  const h = [inv(0, 'write', 'a'), ok(0, 'write'), inv(0, 'write', 'b'), inv(1, 'read'), ok(1, 'read', 'a'), inv(2, 'read'), ok(2, 'read', 'b'), ok(0, 'write')];
  assert.ok(checkHistory(h).ok);
});

test('reads going back in time are caught (a then b then a with one write of each)', () => {
  const h = [
    inv(0, 'write', 'a'),
    ok(0, 'write'),
    inv(0, 'write', 'b'),
    inv(1, 'read'),
    ok(1, 'read', 'b'),
    inv(2, 'read'),
    ok(2, 'read', 'a'),
    ok(0, 'write'),
  ];
  assert.equal(checkHistory(h).ok, false);
});

test('a value nobody wrote is caught', () => {
  assert.equal(checkHistory([inv(0, 'write', 'a'), ok(0, 'write'), inv(1, 'read'), ok(1, 'read', 'zzz')]).ok, false);
});

test('two successful CAS from the same expected value is not linearizable', () => {
  const h = [inv(0, 'write', 'a'), ok(0, 'write'), inv(1, 'cas', ['a', 'b']), inv(2, 'cas', ['a', 'c']), ok(1, 'cas', true), ok(2, 'cas', true)];
  assert.equal(checkHistory(h).ok, false);
});

test('one CAS wins, the other fails: fine', () => {
  const h = [inv(0, 'write', 'a'), ok(0, 'write'), inv(1, 'cas', ['a', 'b']), inv(2, 'cas', ['a', 'c']), ok(1, 'cas', true), ok(2, 'cas', false), inv(0, 'read'), ok(0, 'read', 'b')];
  assert.ok(checkHistory(h).ok);
});

test('info write may take effect later or never; fail never does', () => {
  const maybe = [inv(0, 'write', 'a'), info(0, 'write'), inv(1, 'read'), ok(1, 'read', null), inv(1, 'read'), ok(1, 'read', 'a')];
  assert.ok(checkHistory(maybe).ok);
  const failed = [inv(0, 'write', 'a'), fail(0, 'write'), inv(1, 'read'), ok(1, 'read', 'a')];
  assert.equal(checkHistory(failed).ok, false);
});

test('keys are checked independently and reported by name', () => {
  const h = [inv(0, 'write', 'a', 'k1'), ok(0, 'write', undefined, 'k1'), inv(1, 'read', undefined, 'k2'), ok(1, 'read', 'a', 'k2')];
  assert.deepEqual(checkHistory(h).badKeys, ['k2']);
});

test('a malformed history is reported, not accepted', () => {
  const r = checkHistory([ok(0, 'read', null)]);
  assert.equal(r.ok, false);
  assert.equal(r.problems.length, 1);
});
