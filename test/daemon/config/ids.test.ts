import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalConfigText,
  configHash,
  daemonIdFromName,
  oneAtATimeHash,
  parseConfig,
} from '../../../daemon/config/index.ts';

const bytes = (s: string): number[] => [...Buffer.from(s, 'latin1')];

describe('one-at-a-time hash', () => {
  test('matches the published Jenkins values when seeded with 0', () => {
    assert.equal(oneAtATimeHash(bytes('a'), 0), 0xca2e9442);
    assert.equal(oneAtATimeHash(bytes('The quick brown fox jumps over the lazy dog'), 0), 0x519e91f5);
  });
  test('by default the state starts from the length (Spread stdutil variant)', () => {
    assert.notEqual(oneAtATimeHash(bytes('a')), oneAtATimeHash(bytes('a'), 0));
    assert.equal(oneAtATimeHash(bytes('a')), oneAtATimeHash(bytes('a'), 1));
  });
});

describe('daemon ids', () => {
  test('hash of the name and its NUL, deterministic, unsigned 32-bit', () => {
    const id = daemonIdFromName('d1');
    assert.equal(id, oneAtATimeHash([...bytes('d1'), 0]));
    assert.equal(id, daemonIdFromName('d1'));
    assert.ok(Number.isInteger(id) && id > 0 && id < 0xffffffff);
    assert.notEqual(daemonIdFromName('d1'), daemonIdFromName('d2'));
  });
  test('never 0 nor 0xFFFFFFFF over many names', () => {
    for (let i = 0; i < 5000; i++) {
      const id = daemonIdFromName(`n${i}`);
      assert.ok(id !== 0 && id !== 0xffffffff);
    }
  });
});

describe('configuration hash', () => {
  const base = 'Spread_Segment 127.0.0.255:4803 { d1 127.0.0.1 d2 127.0.0.2 }\n';
  const hashOf = (text: string): number => parseConfig(text, 't').configHash;

  test('the canonical text lists port, addresses, daemons, version and protocol', () => {
    const c = parseConfig(base, 't');
    const text = canonicalConfigText(c.segments, { excludeSegAddrs: false, acceleratedRing: true });
    assert.match(text, /segment port 4803 \[127\.0\.0\.255\]/);
    assert.match(text, new RegExp(`'d1' \\[127\\.0\\.0\\.1\\] \\[${c.daemons[0]!.id}\\]`));
    assert.match(text, /version 5\nprotocol Accelerated Ring\n$/);
    assert.equal(c.configHash, configHash(c.segments, { excludeSegAddrs: false, acceleratedRing: true }));
  });
  test('changes with what daemons must agree on, not with per-daemon options', () => {
    const h = hashOf(base);
    assert.equal(hashOf(`DebugFlags = { ALL }\nWindow = 200\n${base}`), h);
    assert.notEqual(hashOf(base.replace('d2', 'd3')), h);
    assert.notEqual(hashOf(base.replace(' 127.0.0.2 ', ' 127.0.0.4 ')), h);
    assert.notEqual(hashOf(base.replace(':4803', ':4805')), h);
    assert.notEqual(hashOf(base.replace('127.0.0.255', '127.0.0.254')), h);
    assert.notEqual(hashOf(base.replace('d2 127.0.0.2', 'd2 127.0.0.2 VirtualID = 7')), h);
    assert.notEqual(hashOf(`AcceleratedRing = false\n${base}`), h);
  });
  test('the effective ring protocol is hashed: an explicit default gives the same hash', () => {
    assert.equal(hashOf(`AcceleratedRing = true\n${base}`), hashOf(base));
    const two = 'Spread_Segment 10.0.0.255 { a 10.0.0.1 }\nSpread_Segment 10.0.1.255 { b 10.0.1.1 }\n';
    assert.equal(hashOf(`AcceleratedRing = false\n${two}`), hashOf(two));
  });
  test('ExcludeSegAddrsFromHash leaves segment addresses out', () => {
    const ex = 'ExcludeSegAddrsFromHash = yes\n';
    assert.equal(hashOf(ex + base), hashOf(ex + base.replace('127.0.0.255', '127.0.0.254')));
  });
});
