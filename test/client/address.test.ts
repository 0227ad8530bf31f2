// Spread names (spec 1.2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpreadName, resolveAddressInput, describeAddress } from '../../client/address.ts';

test('spread names map to Unix sockets and TCP as in SP_connect', () => {
  const ok = (name: string | null | undefined): unknown => {
    const r = parseSpreadName(name);
    assert.ok(r.ok, `${String(name)}: ${r.ok ? '' : r.reason}`);
    return r.address;
  };
  assert.deepEqual(ok('4803'), { kind: 'unix', path: '/tmp/4803' });
  assert.deepEqual(ok(''), { kind: 'unix', path: '/tmp/4803' });
  assert.deepEqual(ok(null), { kind: 'unix', path: '/tmp/4803' });
  assert.deepEqual(ok(undefined), { kind: 'unix', path: '/tmp/4803' });
  assert.deepEqual(ok('5000'), { kind: 'unix', path: '/tmp/5000' });
  assert.deepEqual(ok('4803@localhost'), { kind: 'tcp', host: 'localhost', port: 4803 });
  assert.deepEqual(ok('4803@127.0.0.1'), { kind: 'tcp', host: '127.0.0.1', port: 4803 });
  assert.deepEqual(ok('4803@::1'), { kind: 'tcp', host: '::1', port: 4803 });
  for (const bad of ['abc', '4803x', '4803 ', '65536', '4803@', '@host', `4803@${'h'.repeat(70)}`]) assert.equal(parseSpreadName(bad).ok, false, bad);
});

test('explicit address objects', () => {
  assert.deepEqual(resolveAddressInput({ path: '/run/spread.sock' }), { ok: true, address: { kind: 'unix', path: '/run/spread.sock' } });
  assert.deepEqual(resolveAddressInput({ host: '127.0.0.1', port: 5000 }), { ok: true, address: { kind: 'tcp', host: '127.0.0.1', port: 5000 } });
  assert.deepEqual(resolveAddressInput({ port: 0 }), { ok: true, address: { kind: 'tcp', host: '127.0.0.1', port: 4803 } });
  assert.equal(resolveAddressInput({ port: 70000 }).ok, false);
  assert.equal(resolveAddressInput({ path: '' }).ok, false);
  assert.equal(describeAddress({ kind: 'tcp', host: '::1', port: 1 }), 'tcp:[::1]:1');
});
