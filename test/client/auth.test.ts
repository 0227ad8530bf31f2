// Choosing and plugging in authentication methods in the client library, against our daemon:
// IP accepted and refused, a custom method that sees what the daemon offered, and the C-style
// SP_set_auth_method(s).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IP_AUTH,
  NULL_AUTH,
  SpreadConnection,
  SpreadRejectedError,
  authMethod,
  sp,
  type AuthInfo,
  type SpreadConnectionOptions,
} from '../../client/index.ts';
import { REJECT_AUTH } from '../../client/wire/constants.ts';
import type { RunningDaemon } from '../../daemon/index.ts';
import { startTestDaemon } from '../support/daemon.ts';

const dir = mkdtempSync(join(tmpdir(), 'spread-client-auth-'));

function daemonConfig(name: string, segmentPort: number, accessList: string): string {
  const list = join(dir, `${name}.access_ip`);
  writeFileSync(list, accessList);
  return [
    'AllowedAuthMethods = "NULL IP"',
    `AccessIpFile = ${list}`,
    `Spread_Segment 127.255.255.255:${segmentPort} {`,
    `  ${name} 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }`,
    '}',
    '',
  ].join('\n');
}

/** `trusting` lists 127.0.0.1; `strict` only a network the tests never come from. */
let trusting: RunningDaemon;
let strict: RunningDaemon;
before(async () => {
  trusting = await startTestDaemon({ name: 'ok1', configText: daemonConfig('ok1', 24530, '127.0.0.1\n') });
  strict = await startTestDaemon({ name: 'no1', configText: daemonConfig('no1', 24532, '10.0.0.0/8\n') });
});
after(async () => {
  await Promise.all([trusting?.stop(), strict?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const connect = (d: RunningDaemon, o: SpreadConnectionOptions): Promise<SpreadConnection> =>
  SpreadConnection.connect({ host: '127.0.0.1', port: d.tcpPort, timeoutMs: 10_000, ...o });

describe('class API', () => {
  test('IP: admitted by a daemon that lists the address, REJECT_AUTH from one that does not', async () => {
    const c = await connect(trusting, { privateName: 'ip', authMethods: [IP_AUTH] });
    assert.equal(c.privateGroup.name, '#ip#ok1');
    await c.close();
    await assert.rejects(connect(strict, { privateName: 'ip', authMethods: [IP_AUTH] }), (err: unknown) => err instanceof SpreadRejectedError && err.rejectCode === REJECT_AUTH);
    // NULL is still enough on the strict daemon: IP is allowed there, not required.
    const n = await connect(strict, { privateName: 'null', authMethods: [NULL_AUTH] });
    await n.close();
    assert.equal(strict.node.sessions.counters.sessionsRejected, 1);
  });

  test('a plugged-in method sees the offered methods and runs after the choice', async () => {
    const seen: AuthInfo[] = [];
    const audited = authMethod('NULL', (_channel, info) => void seen.push(info));
    const c = await connect(trusting, { privateName: 'plug', authMethods: [audited, IP_AUTH] });
    assert.deepEqual(seen.map((i) => i.offered), [['NULL', 'IP']]);
    assert.match(seen[0]!.transport, /^tcp:127\.0\.0\.1:\d+$/);
    await c.close();
  });

  test('a method that gives up, or one the daemon does not offer, is REJECT_AUTH', async () => {
    const giveUp = authMethod('IP', () => {
      throw new Error('no token');
    });
    await assert.rejects(connect(trusting, { privateName: 'gu', authMethods: [giveUp] }), (err: unknown) => err instanceof SpreadRejectedError && err.rejectCode === REJECT_AUTH);
    const kerberos = authMethod('KRB5', () => {});
    await assert.rejects(connect(trusting, { privateName: 'krb', authMethods: [kerberos] }), /KRB5/);
    // Neither took the daemon's name: both names are free.
    for (const name of ['gu', 'krb']) await (await connect(trusting, { privateName: name })).close();
  });
});

describe('SP_* API', () => {
  after(() => sp.SP_set_auth_methods([NULL_AUTH]));

  test('SP_set_auth_method(IP) then SP_connect: ACCEPT_SESSION or REJECT_AUTH', async () => {
    assert.equal(sp.SP_set_auth_method(IP_AUTH), 1);
    const out = { mbox: 0, privateGroup: '' };
    assert.equal(await sp.SP_connect(`${trusting.tcpPort}@127.0.0.1`, 'spip', 0, 0, out), sp.ACCEPT_SESSION);
    assert.equal(out.privateGroup, '#spip#ok1');
    assert.equal(await sp.SP_disconnect(out.mbox), 0);
    assert.equal(await sp.SP_connect(`${strict.tcpPort}@127.0.0.1`, 'spip', 0, 0, out), REJECT_AUTH);
    assert.equal(sp.SP_set_auth_methods([NULL_AUTH, IP_AUTH]), 1);
    assert.equal(await sp.SP_connect(`${strict.tcpPort}@127.0.0.1`, 'spboth', 0, 0, out), REJECT_AUTH, 'every chosen method must succeed');
  });
});
