// Client authentication against a real daemon, byte for byte (spec 2.4 to 2.8): the offered list,
// the IP method and the IP access control policy accepting and refusing by client address, the
// required methods, and a refusal that is one REJECT_AUTH byte and changes nothing else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGREED_MESS,
  REJECT_AUTH,
  SPREAD_VERSION,
  encodeAuthChoice,
  encodeConnectRequest,
  encodeMessageHead,
} from '../../../client/wire/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';
import { RawClient, rawReceive, type RawSession } from '../../support/raw-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'spread-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A lone daemon listening for clients on every address (so a client can come from 127.0.0.2). */
function config(segmentPort: number, ...options: string[]): string {
  return [...options, `Spread_Segment 127.255.255.255:${segmentPort} {`, '  a1 127.0.0.1', '}', ''].join('\n');
}

type From = { localAddress: string } | { unix: true };

async function open(d: RunningDaemon, from: From): Promise<RawClient> {
  if ('unix' in from) return RawClient.open({ path: d.unixSocketPath! });
  const socket: Socket = connect({ port: d.tcpPort, host: '127.0.0.1', localAddress: from.localAddress });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // RawClient's constructor wraps an open socket; it is private to keep tests on RawClient.open.
  return Reflect.construct(RawClient, [socket]) as RawClient;
}

interface Outcome {
  readonly offered: string;
  /** The accept reply's private group, or the reject code. */
  readonly result: { accepted: string; session: RawSession } | { rejected: number };
}

/** Connects as `name` from `from`, choosing `methods`; returns what the daemon answered. */
async function handshake(d: RunningDaemon, from: From, name: string, methods: string[]): Promise<Outcome> {
  const client = await open(d, from);
  client.write(encodeConnectRequest(SPREAD_VERSION, true, false, name));
  const len = (await client.read(1))[0]!;
  const offered = (await client.read(len)).toString('latin1');
  client.write(encodeAuthChoice(methods));
  const first = (await client.read(1))[0]!;
  if (first !== 1) {
    const rest = await client.expectClose();
    assert.equal(rest.length, 0, 'nothing follows the reject byte');
    return { offered, result: { rejected: (first << 24) >> 24 } };
  }
  const head = await client.read(4);
  const privateGroup = (await client.read(head[3]!)).toString('latin1');
  return { offered, result: { accepted: privateGroup, session: { client, privateGroup } } };
}

function acceptedAs(o: Outcome, privateGroup: string): RawSession {
  assert.ok('accepted' in o.result, `expected acceptance, got ${JSON.stringify(o.result)}`);
  assert.equal(o.result.accepted, privateGroup);
  return o.result.session;
}

function rejectedAuth(o: Outcome): void {
  assert.deepEqual(o.result, { rejected: REJECT_AUTH });
}

const FROM_1 = { localAddress: '127.0.0.1' };
const FROM_2 = { localAddress: '127.0.0.2' };

describe('the IP method', () => {
  let d: RunningDaemon;
  before(async () => {
    const list = file('ip-method.access_ip', '# only the first loopback address\n127.0.0.1/32\n');
    d = await startTestDaemon({ name: 'a1', configText: config(24500, 'AllowedAuthMethods = "NULL IP"', `AccessIpFile = ${list}`) });
  });
  after(() => d.stop());

  test('offers NULL and IP; accepts IP from a listed address, refuses it from another', async () => {
    const ok = await handshake(d, FROM_1, 'ipok', ['IP']);
    assert.equal(ok.offered, 'NULL IP ');
    const s = acceptedAs(ok, '#ipok#a1');
    const before = d.node.sessions.counters.sessionsRejected;
    const no = await handshake(d, FROM_2, 'ipno', ['IP']);
    rejectedAuth(no);
    assert.equal(d.node.sessions.counters.sessionsRejected, before + 1);
    rejectedAuth(await handshake(d, FROM_2, 'both', ['NULL', 'IP']));
    // NULL alone needs no address check.
    acceptedAs(await handshake(d, FROM_2, 'ipno', ['NULL']), '#ipno#a1').client.close();
    s.client.close();
  });

  test('a Unix-socket client is on this host and passes as 127.0.0.1', async () => {
    const s = acceptedAs(await handshake(d, { unix: true }, 'local', ['IP']), '#local#a1');
    s.client.close();
  });

  test('a method the daemon does not offer is refused', async () => {
    rejectedAuth(await handshake(d, FROM_1, 'pw', ['PWORD']));
  });
});

describe('AccessControlPolicy = IP', () => {
  let d: RunningDaemon;
  before(async () => {
    const list = file('policy.access_ip', '127.0.0.1\n::1\n');
    d = await startTestDaemon({ name: 'a1', configText: config(24502, 'AccessControlPolicy = IP', `AccessIpFile = "${list}"`) });
  });
  after(() => d.stop());

  test('a NULL client from a listed address is admitted, one from elsewhere refused, and nothing else changes', async () => {
    const member = acceptedAs(await handshake(d, FROM_1, 'member', ['NULL']), '#member#a1');
    const refused = await handshake(d, FROM_2, 'intruder', ['NULL']);
    assert.equal(refused.offered, 'NULL ');
    rejectedAuth(refused);
    assert.equal(d.node.sessions.openSessionCount, 1);
    // The refused name is not taken, and the open session still sends and receives.
    acceptedAs(await handshake(d, FROM_1, 'intruder', ['NULL']), '#intruder#a1').client.close();
    const body = Buffer.from('still here');
    member.client.write(Buffer.concat([encodeMessageHead(AGREED_MESS, member.privateGroup, [member.privateGroup], 0, body.length), body]));
    const m = await rawReceive(member, 10_000);
    assert.deepEqual(m.body, body);
    member.client.close();
  });
});

describe('RequiredAuthMethods = IP', () => {
  let d: RunningDaemon;
  before(async () => {
    const list = file('required.access_ip', '127.0.0.0/30\n');
    d = await startTestDaemon({ name: 'a1', configText: config(24504, 'RequiredAuthMethods = "IP"', `AccessIpFile = ${list}`) });
  });
  after(() => d.stop());

  test('only IP is offered; NULL is refused; IP is admitted from inside the block only', async () => {
    const nul = await handshake(d, FROM_1, 'n', ['NULL']);
    assert.equal(nul.offered, 'IP ');
    rejectedAuth(nul);
    acceptedAs(await handshake(d, FROM_2, 'in', ['IP']), '#in#a1').client.close();
    rejectedAuth(await handshake(d, { localAddress: '127.0.0.5' }, 'out', ['IP']));
  });
});

describe('a daemon whose access list is missing or bad does not start', () => {
  test('IP in use without a list file', async () => {
    await assert.rejects(startTestDaemon({ name: 'a1', configText: config(24506, 'AllowedAuthMethods = "NULL IP"') }), /IP access control needs an access list: set AccessIpFile/);
    await assert.rejects(
      startTestDaemon({ name: 'a1', configText: config(24506, 'AccessControlPolicy = IP', `AccessIpFile = ${join(dir, 'absent')}`) }),
      /cannot read access list .*absent/,
    );
  });

  test('a bad line names the file and line', async () => {
    const list = file('bad.access_ip', '127.0.0.1\n127.0.0.300\n');
    await assert.rejects(startTestDaemon({ name: 'a1', configText: config(24506, 'AccessControlPolicy = IP', `AccessIpFile = ${list}`) }), /bad\.access_ip:2: '127\.0\.0\.300' is not an IPv4 or IPv6 address/);
  });
});
