// The access decision (pure): methods allowed and required, the NULL and IP methods, and the
// PERMIT and IP access control policies, each accepted and refused.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REJECT_AUTH } from '../../../client/wire/constants.ts';
import { AccessList, AccessListError, accessPolicyOf, decideAuth, needsAccessList, PERMIT_ALL, type AccessPolicy } from '../../../daemon/auth/index.ts';
import { withOptions } from '../config/helpers.ts';

const LIST = AccessList.parse('# trusted hosts\n127.0.0.1\n10.1.0.0/16   # lab\n\n2001:db8::/32\n');

/** The policy of `options` with `list` (null: no list loaded). */
function policy(options: string, list: AccessList | null = LIST): AccessPolicy {
  return accessPolicyOf(withOptions(options), list ?? undefined);
}

function refused(p: AccessPolicy, address: string | undefined, chosen: string[], reason: RegExp): void {
  const d = decideAuth(p, address, chosen);
  assert.equal(d.accept, false, `${String(address)} ${chosen.join(' ')} should be refused`);
  if (d.accept) return;
  assert.equal(d.code, REJECT_AUTH);
  assert.match(d.reason, reason);
}

function accepted(p: AccessPolicy, address: string | undefined, chosen: string[]): void {
  const d = decideAuth(p, address, chosen);
  assert.deepEqual(d, { accept: true }, `${String(address)} ${chosen.join(' ')}`);
}

describe('access list (spread.access_ip in spirit)', () => {
  test('addresses and CIDR blocks, IPv4 and IPv6, comments and blank lines', () => {
    assert.deepEqual(LIST.entries, ['127.0.0.1', '10.1.0.0/16', '2001:db8::/32']);
    for (const a of ['127.0.0.1', '10.1.0.0', '10.1.255.255', '2001:db8::1', '2001:0db8:ffff::', '::ffff:127.0.0.1', '::ffff:10.1.2.3'])
      assert.equal(LIST.allows(a), true, a);
    for (const a of ['127.0.0.2', '10.2.0.1', '10.0.255.255', '2001:db9::1', '::1', 'localhost', ''])
      assert.equal(LIST.allows(a), false, a);
    assert.equal(AccessList.parse('0.0.0.0/0').allows('192.0.2.7'), true);
    assert.equal(AccessList.parse('0.0.0.0/0').allows('::1'), false, 'an IPv4 block matches IPv4 clients only');
    assert.equal(AccessList.parse('').allows('127.0.0.1'), false, 'an empty list admits nobody');
    assert.equal(AccessList.parse('10.0.0.7/29').allows('10.0.0.1'), true, 'host bits of a block are ignored');
  });

  test('a bad line is reported with its file and line', () => {
    const bad: Array<[string, RegExp]> = [
      ['127.0.0.1\nnot-an-address\n', /^acl:2: 'not-an-address' is not an IPv4 or IPv6 address/],
      ['10.0.0.0/33', /^acl:1: bad prefix length '\/33'/],
      ['::1/129', /^acl:1: bad prefix length '\/129'/],
      ['10.0.0.0/', /^acl:1: bad prefix length/],
      ['\n\n10.0.0.1 10.0.0.2', /^acl:3: one address or block per line/],
      ['fe80::1%eth0', /^acl:1: /],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => AccessList.parse(text, 'acl'), (err: unknown) => err instanceof AccessListError && message.test(err.message), text);
    }
  });

  test('a /n block holds exactly the addresses that share its first n bits', () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (net, addr, prefix) => {
        const toInt = (b: number[]): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        const expected = ((toInt(net) ^ toInt(addr)) & mask) >>> 0 === 0;
        return AccessList.parse(`${net.join('.')}/${prefix}`).allows(addr.join('.')) === expected;
      }),
    );
  });
});

describe('the decision', () => {
  test('defaults: NULL offered and accepted, PERMIT', () => {
    assert.deepEqual(PERMIT_ALL.allowed, ['NULL']);
    const p = policy('', null);
    accepted(p, '192.0.2.1', ['NULL']);
    accepted(p, undefined, ['NULL']);
    refused(p, '192.0.2.1', ['IP'], /method 'IP' not allowed/);
    refused(p, '192.0.2.1', ['PWORD'], /method 'PWORD' not allowed/);
    refused(p, '192.0.2.1', [], /no authentication method chosen/);
    refused(p, '192.0.2.1', ['NULL', 'IP'], /method 'IP' not allowed/);
  });

  test('IP method: the client address against the list', () => {
    const p = policy('AllowedAuthMethods = "NULL IP"');
    accepted(p, '127.0.0.1', ['IP']);
    accepted(p, '10.1.9.9', ['IP']);
    accepted(p, '::ffff:10.1.9.9', ['IP']);
    refused(p, '127.0.0.2', ['IP'], /method 'IP' failed: 127\.0\.0\.2 is not on the access list/);
    refused(p, '127.0.0.2', ['NULL', 'IP'], /method 'IP' failed/);
    accepted(p, '127.0.0.2', ['NULL']);
    // A Unix-socket client is on this host: it is checked as the loopback address.
    accepted(p, undefined, ['IP']);
    refused(policy('AllowedAuthMethods = "IP"', AccessList.parse('10.0.0.0/8')), undefined, ['IP'], /a Unix-socket client is not on the access list/);
  });

  test('RequiredAuthMethods run even when the client did not choose them', () => {
    const p = policy('AllowedAuthMethods = "NULL"\nRequiredAuthMethods = "IP"');
    assert.deepEqual(p.allowed, ['NULL', 'IP']);
    accepted(p, '127.0.0.1', ['NULL']);
    refused(p, '192.0.2.1', ['NULL'], /required method 'IP' failed/);
    refused(p, '192.0.2.1', ['IP'], /required method 'IP' failed/);
    const onlyRequired = policy('RequiredAuthMethods = "IP"');
    assert.deepEqual(onlyRequired.allowed, ['IP']);
    refused(onlyRequired, '127.0.0.1', ['NULL'], /method 'NULL' not allowed/);
    accepted(onlyRequired, '127.0.0.1', ['IP']);
  });

  test('AccessControlPolicy IP: NULL-authenticated clients still need to be on the list', () => {
    const p = policy('AccessControlPolicy = IP');
    accepted(p, '127.0.0.1', ['NULL']);
    accepted(p, '2001:db8:1::5', ['NULL']);
    refused(p, '127.0.0.3', ['NULL'], /access control policy IP: 127\.0\.0\.3 is not on the access list/);
    refused(policy('AccessControlPolicy = IP', null), '127.0.0.1', ['NULL'], /not on the access list/);
  });

  test('PERMIT lets every authenticated client in', () => {
    const p = policy('AccessControlPolicy = PERMIT\nAllowedAuthMethods = "NULL IP"', AccessList.parse(''));
    accepted(p, '198.51.100.1', ['NULL']);
    refused(p, '198.51.100.1', ['IP'], /not on the access list/);
  });

  test('the list is needed only when IP is in use', () => {
    assert.equal(needsAccessList(withOptions('')), false);
    assert.equal(needsAccessList(withOptions('AllowedAuthMethods = "NULL IP"')), true);
    assert.equal(needsAccessList(withOptions('RequiredAuthMethods = "IP"')), true);
    assert.equal(needsAccessList(withOptions('AccessControlPolicy = IP')), true);
  });
});
