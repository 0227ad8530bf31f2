import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  isLoopback,
  isMulticast,
  isUnspecified,
  looksLikeAddress,
  parseAddressWord,
  parseIpv4,
  parseIpv6,
} from '../../../daemon/config/index.ts';

describe('IPv4 literals', () => {
  test('dotted quads parse to their canonical text and bytes', () => {
    const ip = parseIpv4('192.168.1.255');
    assert.equal(ip?.canonical, '192.168.1.255');
    assert.deepEqual(ip?.bytes, [192, 168, 1, 255]);
  });
  test('out-of-range, leading-zero and short forms are rejected', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.a', '']) {
      assert.equal(parseIpv4(bad), undefined, bad);
    }
  });
});

describe('IPv6 literals', () => {
  test('canonical form is lower case with the longest zero run compressed', () => {
    assert.equal(parseIpv6('2001:DB8:0:0:0:0:0:1')?.canonical, '2001:db8::1');
    assert.equal(parseIpv6('::1')?.canonical, '::1');
    assert.equal(parseIpv6('::')?.canonical, '::');
    assert.equal(parseIpv6('1:0:0:2:0:0:0:3')?.canonical, '1:0:0:2::3');
    assert.equal(parseIpv6('1:2:3:4:5:6:7:8')?.canonical, '1:2:3:4:5:6:7:8');
    assert.equal(parseIpv6('ff02::1')?.canonical, 'ff02::1');
  });
  test('an embedded IPv4 tail and a %scope are understood', () => {
    assert.equal(parseIpv6('::ffff:10.0.0.1')?.canonical, '::ffff:10.0.0.1');
    const scoped = parseIpv6('fe80::1%eth0');
    assert.equal(scoped?.canonical, 'fe80::1');
    assert.equal(scoped?.scope, 'eth0');
  });
  test('malformed forms are rejected', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '12345::1', 'g::1', '1:2:3:4:5:6:7:8:9', 'fe80::1%', '1.2.3.4']) {
      assert.equal(parseIpv6(bad), undefined, bad);
    }
  });
});

describe('address words', () => {
  test('ports after IPv4 and bracketed IPv6', () => {
    const a = parseAddressWord('10.0.0.255:3333');
    assert.ok(a.ok);
    assert.equal(a.ip.canonical, '10.0.0.255');
    assert.equal(a.port, 3333);
    const b = parseAddressWord('[ff02::1]:4803');
    assert.ok(b.ok);
    assert.equal(b.ip.canonical, 'ff02::1');
    assert.equal(b.port, 4803);
    const c = parseAddressWord('fe80::1');
    assert.ok(c.ok);
    assert.equal(c.port, undefined);
  });
  test('bad forms say why', () => {
    const a = parseAddressWord('10.0.0.300');
    assert.ok(!a.ok);
    assert.match(a.reason, /not an IPv4 address/);
    const b = parseAddressWord('[ff02::1');
    assert.ok(!b.ok);
    assert.match(b.reason, /closing '\]'/);
    const c = parseAddressWord('10.0.0.1:port');
    assert.ok(!c.ok);
    assert.match(c.reason, /bad port/);
  });
  test('what looks like an address', () => {
    assert.ok(looksLikeAddress('127.0.0.1'));
    assert.ok(looksLikeAddress('127.0.0.1:4803'));
    assert.ok(looksLikeAddress('fe80::1'));
    assert.ok(looksLikeAddress('[::1]:4803'));
    assert.ok(!looksLikeAddress('d1'));
    assert.ok(!looksLikeAddress('machine1'));
    assert.ok(!looksLikeAddress('a:b'));
  });
  test('classes of addresses', () => {
    assert.ok(isMulticast(parseIpv4('239.1.2.3')!));
    assert.ok(!isMulticast(parseIpv4('127.0.0.1')!));
    assert.ok(isMulticast(parseIpv6('ff02::1')!));
    assert.ok(isUnspecified(parseIpv4('0.0.0.0')!));
    assert.ok(isUnspecified(parseIpv6('::')!));
    assert.ok(isLoopback(parseIpv4('127.0.0.3')!));
    assert.ok(isLoopback(parseIpv6('::1')!));
    assert.ok(!isLoopback(parseIpv4('10.0.0.1')!));
  });
});
