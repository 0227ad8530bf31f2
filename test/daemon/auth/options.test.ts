// The spread.conf options of issue 9: AccessIpFile, the TLS listener, DaemonKey / DaemonKeyFile;
// and the authentication options no longer warned about as not implemented.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DAEMON_KEY_TAG_BYTES, OPTIONS_NOT_YET_IMPLEMENTED } from '../../../daemon/config/index.ts';
import { LOOPBACK_DATAGRAM_BYTES } from '../../../daemon/wire/constants.ts';
import { configErrorOf, SEGMENT, withOptions } from '../config/helpers.ts';

function rejectsAt(options: string, line: number, message: RegExp): void {
  const err = configErrorOf(`${options}\n${SEGMENT}`);
  assert.equal(err.line, line, err.message);
  assert.match(err.message, message);
}

describe('access control options', () => {
  test('RequiredAuthMethods, AllowedAuthMethods and AccessControlPolicy are implemented: no warning', () => {
    for (const n of ['RequiredAuthMethods', 'AllowedAuthMethods', 'AccessControlPolicy'] as const) assert.equal(OPTIONS_NOT_YET_IMPLEMENTED.has(n), false, n);
    const c = withOptions('AllowedAuthMethods = "NULL IP"\nRequiredAuthMethods = "IP"\nAccessControlPolicy = IP\nAccessIpFile = /etc/spread.access_ip');
    assert.deepEqual(c.warnings, []);
    assert.equal(c.accessControlPolicy, 'IP');
    assert.equal(c.accessIpFile, '/etc/spread.access_ip');
    assert.equal(withOptions('').accessIpFile, undefined);
  });
});

describe('TLS listener options', () => {
  test('TlsPort with certificate and key; CA and required client certificates optional', () => {
    assert.equal(withOptions('').tls, undefined);
    const c = withOptions('TlsPort = 4805\nTlsCertificate = "/etc/spread/server.pem"\nTlsKey = /etc/spread/server.key');
    assert.deepEqual(c.tls, { port: 4805, certificateFile: '/etc/spread/server.pem', keyFile: '/etc/spread/server.key', caFile: undefined, requireClientCertificate: false });
    const m = withOptions('TlsPort = 4805\nTlsCertificate = s.pem\nTlsKey = s.key\nTlsCA = ca.pem\nTlsRequireClientCertificate = yes');
    assert.equal(m.tls?.caFile, 'ca.pem');
    assert.equal(m.tls?.requireClientCertificate, true);
  });

  test('inconsistent TLS options are refused where they are written', () => {
    rejectsAt('TlsPort = 4805', 1, /TlsPort needs TlsCertificate and TlsKey/);
    rejectsAt('TlsPort = 4805\nTlsCertificate = s.pem', 1, /TlsPort needs TlsCertificate and TlsKey/);
    rejectsAt('TlsCertificate = s.pem\nTlsKey = s.key', 1, /TlsCertificate without TlsPort/);
    rejectsAt('TlsPort = 4805\nTlsCertificate = s.pem\nTlsKey = s.key\nTlsRequireClientCertificate = true', 4, /TlsRequireClientCertificate needs TlsCA/);
    rejectsAt('TlsPort = 4803\nTlsCertificate = s.pem\nTlsKey = s.key', 1, /TlsPort 4803 is the client port of daemon d1/);
    rejectsAt('TlsPort = 0', 1, /TlsPort must be between 1 and 65535/);
    rejectsAt('TlsPort = 70000', 1, /TlsPort must be between 1 and 65535/);
  });
});

describe('daemon key options', () => {
  test('DaemonKey or DaemonKeyFile; the datagram size leaves room for the tag', () => {
    const plain = withOptions('');
    assert.equal(plain.daemonKey, undefined);
    assert.equal(plain.packetSize, LOOPBACK_DATAGRAM_BYTES);
    const k = withOptions('DaemonKey = "correct horse # battery"');
    assert.deepEqual(k.daemonKey, { text: 'correct horse # battery' });
    assert.equal(k.packetSize, LOOPBACK_DATAGRAM_BYTES - DAEMON_KEY_TAG_BYTES);
    assert.equal(withOptions('PacketSize = 1472\nDaemonKey = k').packetSize, 1472 - DAEMON_KEY_TAG_BYTES);
    assert.deepEqual(withOptions('DaemonKeyFile = /etc/spread.key').daemonKey, { file: '/etc/spread.key' });
  });

  test('both given: the later wins, with a warning; an empty key is refused', () => {
    const c = withOptions('DaemonKeyFile = /etc/spread.key\nDaemonKey = "k"');
    assert.deepEqual(c.daemonKey, { text: 'k' });
    assert.match(c.warnings.join('\n'), /spread\.conf:2:1: DaemonKey and DaemonKeyFile both given; the later \(DaemonKey\) wins/);
    rejectsAt('DaemonKey = ""', 1, /expected a quoted key/);
  });

  test('the key is not part of the configuration hash', () => {
    assert.equal(withOptions('DaemonKey = a').configHash, withOptions('DaemonKey = b').configHash);
    assert.equal(withOptions('DaemonKey = a').configHash, withOptions('').configHash);
  });
});
