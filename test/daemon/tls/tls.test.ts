// The TLS client listener: the same session protocol inside TLS, next to plain TCP and the Unix
// socket. A TLS client and a plain client share a group; client certificates are required,
// optional or refused as configured. Certificates: test/fixtures/tls (see generate.sh there).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SpreadConnection,
  SpreadMessage,
  SpreadError,
  IllegalSpreadError,
  CouldNotConnectError,
  sp,
  type SpreadConnectionOptions,
  type TlsClientOptions,
} from '../../../client/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));
const pem = (name: string): Buffer => readFileSync(join(FIXTURES, name));
const TRUST: TlsClientOptions = { ca: pem('ca.pem') };
const WITH_CERT: TlsClientOptions = { ...TRUST, cert: pem('client.pem'), key: pem('client.key') };
const ROGUE_CERT: TlsClientOptions = { ...TRUST, cert: pem('rogue.pem'), key: pem('rogue.key') };

const dir = mkdtempSync(join(tmpdir(), 'spread-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, segmentPort: number, ...options: string[]): string {
  return [
    ...options,
    `Spread_Segment 127.255.255.255:${segmentPort} {`,
    `  ${name} 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }`,
    '}',
    '',
  ].join('\n');
}

const tlsOptions = (port: number, ...more: string[]): string[] => [
  `TlsPort = ${port}`,
  `TlsCertificate = "${join(FIXTURES, 'server.pem')}"`,
  `TlsKey = "${join(FIXTURES, 'server.key')}"`,
  ...more,
];

const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

async function nextRegular(c: SpreadConnection): Promise<SpreadMessage> {
  for (;;) {
    const m = await within(c.receive());
    if (m.isRegular()) return m;
  }
}

async function refused(p: Promise<SpreadConnection>): Promise<SpreadError> {
  let error: unknown;
  await p.then(
    async (c) => {
      await c.close();
      assert.fail('connected');
    },
    (err: unknown) => {
      error = err;
    },
  );
  assert.ok(error instanceof SpreadError, `expected a SpreadError, got ${String(error)}`);
  return error;
}

describe('client certificate required', () => {
  const TLS_PORT = 24542;
  let d: RunningDaemon;
  before(async () => {
    d = await startTestDaemon({
      name: 't1',
      configText: config('t1', 24540, ...tlsOptions(TLS_PORT, `TlsCA = "${join(FIXTURES, 'ca.pem')}"`, 'TlsRequireClientCertificate = yes')),
    });
  });
  after(() => d.stop());

  const connect = (o: SpreadConnectionOptions): Promise<SpreadConnection> => SpreadConnection.connect({ host: '127.0.0.1', timeoutMs: 10_000, ...o });

  test('a TLS client and a plain TCP client in one group exchange messages', async () => {
    assert.equal(d.node.tlsPort, TLS_PORT);
    const secure = await connect({ port: TLS_PORT, tls: WITH_CERT, privateName: 'secure' });
    const plain = await connect({ port: d.tcpPort, privateName: 'plain' });
    assert.equal(secure.privateGroup.name, '#secure#t1');
    await secure.join('mixed');
    await within(secure.receive());
    await plain.join('mixed');
    const [ms, mp] = await within(Promise.all([secure.receive(), plain.receive()]));
    assert.deepEqual(ms.getMembershipInfo().getMembers().map(String), ['#plain#t1', '#secure#t1']);
    assert.deepEqual(mp.getMembershipInfo().getMembers().map(String), ['#plain#t1', '#secure#t1']);
    await secure.multicast(new SpreadMessage({ groups: ['mixed'], data: 'from tls', service: 'agreed' }));
    await plain.multicast(new SpreadMessage({ groups: ['mixed'], data: 'from tcp', service: 'safe' }));
    for (const c of [secure, plain]) {
      const got = [await nextRegular(c), await nextRegular(c)].map((m) => [m.sender?.name, Buffer.from(m.data).toString()]);
      assert.deepEqual(got, [['#secure#t1', 'from tls'], ['#plain#t1', 'from tcp']]);
    }
    // A large message crosses TLS records intact.
    const big = Buffer.alloc(100_000, 7);
    await plain.multicast(new SpreadMessage({ groups: ['mixed'], data: big, service: 'fifo' }));
    assert.deepEqual(Buffer.from((await nextRegular(secure)).data), big);
    await Promise.all([secure.close(), plain.close()]);
  });

  test('a client without a certificate, or with one the CA did not sign, is refused; nothing else changes', async () => {
    const plain = await connect({ port: d.tcpPort, privateName: 'witness' });
    const before = d.node.sessions.counters.sessionsAccepted;
    await refused(connect({ port: TLS_PORT, tls: TRUST, privateName: 'nocert' }));
    await refused(connect({ port: TLS_PORT, tls: ROGUE_CERT, privateName: 'rogue' }));
    assert.equal(d.node.sessions.counters.sessionsAccepted, before);
    assert.equal(d.node.sessions.openSessionCount, 1);
    // The witness still talks to itself, and a good client still gets in.
    await plain.multicast(new SpreadMessage({ groups: [plain.privateGroup.name], data: 'ping' }));
    assert.equal(Buffer.from((await nextRegular(plain)).data).toString(), 'ping');
    const good = await connect({ port: TLS_PORT, tls: WITH_CERT, privateName: 'nocert' });
    await Promise.all([good.close(), plain.close()]);
  });

  test('the client checks the daemon: an untrusted server certificate is COULD_NOT_CONNECT', async () => {
    const err = await refused(connect({ port: TLS_PORT, tls: { cert: pem('client.pem'), key: pem('client.key') }, privateName: 'naive' }));
    assert.ok(err instanceof CouldNotConnectError, String(err));
    assert.equal(err.code, sp.COULD_NOT_CONNECT);
  });

  test('TLS needs a host and port; tls and transportFactory exclude each other', async () => {
    await assert.rejects(SpreadConnection.connect({ path: '/tmp/none', tls: TRUST }), IllegalSpreadError);
    await assert.rejects(SpreadConnection.connect({ port: TLS_PORT, tls: TRUST, transportFactory: () => Promise.reject(new Error('unused')) }), IllegalSpreadError);
  });

  test('SP_set_tls then SP_connect to the TLS port', async () => {
    sp.SP_set_tls(WITH_CERT);
    try {
      const out = { mbox: 0, privateGroup: '' };
      assert.equal(await sp.SP_connect(`${TLS_PORT}@127.0.0.1`, 'sptls', 0, 0, out), sp.ACCEPT_SESSION);
      assert.equal(out.privateGroup, '#sptls#t1');
      assert.equal(await sp.SP_disconnect(out.mbox), 0);
    } finally {
      sp.SP_set_tls(undefined);
    }
  });
});

describe('client certificate optional, with the IP access policy', () => {
  const TLS_PORT = 24546;
  let d: RunningDaemon;
  before(async () => {
    const list = join(dir, 'tls.access_ip');
    writeFileSync(list, '127.0.0.1\n');
    d = await startTestDaemon({
      name: 't2',
      configText: config('t2', 24544, 'AccessControlPolicy = IP', `AccessIpFile = "${list}"`, ...tlsOptions(TLS_PORT, `TlsCA = "${join(FIXTURES, 'ca.pem')}"`)),
    });
  });
  after(() => d.stop());

  test('no certificate or a good one is admitted (the client address passes through TLS); a bad one is refused', async () => {
    const connect = (tls: TlsClientOptions, privateName: string): Promise<SpreadConnection> =>
      SpreadConnection.connect({ host: '127.0.0.1', port: TLS_PORT, tls, privateName, timeoutMs: 10_000 });
    const anonymous = await connect(TRUST, 'anon');
    const known = await connect(WITH_CERT, 'known');
    await refused(connect(ROGUE_CERT, 'rogue'));
    assert.equal(d.node.sessions.openSessionCount, 2);
    await Promise.all([anonymous.close(), known.close()]);
  });
});

describe('a TLS listener whose files cannot be read', () => {
  test('stops the start', async () => {
    await assert.rejects(
      startTestDaemon({ name: 't3', configText: config('t3', 24548, 'TlsPort = 24550', `TlsCertificate = "${join(dir, 'absent.pem')}"`, `TlsKey = "${join(FIXTURES, 'server.key')}"`) }),
      /cannot read TLS certificate .*absent\.pem/,
    );
  });
});
