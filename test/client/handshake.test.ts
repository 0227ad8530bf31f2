// The handshake (spec 2) against scripted daemons: every reject code, authentication, version
// checks, timeouts and aborts, through both APIs.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sp from '../../client/sp.ts';
import { SpreadConnection, pwordAuth, NULL_AUTH, SpreadRejectedError, type SpreadAddressInput } from '../../client/index.ts';
import { startFakeDaemon, type FakeDaemon, type FakeDaemonOptions } from './helpers/fake-daemon.ts';

const daemons: FakeDaemon[] = [];
const dirs: string[] = [];
after(async () => {
  for (const d of daemons) await d.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempSocketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spc-'));
  dirs.push(dir);
  return join(dir, '4803');
}

async function fake(opts: FakeDaemonOptions = {}): Promise<FakeDaemon> {
  const d = await startFakeDaemon(opts);
  daemons.push(d);
  return d;
}

async function spConnect(spread: SpreadAddressInput, name: string | null, priority = 0, membership = 1): Promise<{ ret: number; out: sp.SpConnectOutputs }> {
  const out = { mbox: 0, privateGroup: '' };
  const ret = await sp.SP_connect(spread, name, priority, membership, out);
  if (ret === sp.ACCEPT_SESSION) sp.SP_kill(out.mbox);
  return { ret, out };
}

/** A server that accepts and then does what `onSocket` says; returns its port. */
async function rawServer(onSocket: (s: Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('reject codes', () => {
  for (const code of [sp.REJECT_QUOTA, sp.REJECT_NO_NAME, sp.REJECT_ILLEGAL_NAME, sp.REJECT_NOT_UNIQUE, sp.REJECT_VERSION, sp.REJECT_AUTH]) {
    test(`${sp.ERROR_NAMES[code]} in place of the auth list and of the accept`, async () => {
      for (const where of ['rejectBeforeList', 'rejectAtAccept'] as const) {
        const d = await fake({ [where]: code });
        assert.equal((await spConnect(d.spreadName, 'alice')).ret, code, where);
        await assert.rejects(SpreadConnection.connect({ spread: d.spreadName, privateName: 'alice' }), (err: unknown) => {
          assert.ok(err instanceof SpreadRejectedError);
          assert.equal(err.rejectCode, code);
          assert.equal(err.code, code);
          assert.equal(err.name, 'SpreadRejectedError');
          return true;
        });
      }
    });
  }
});

describe('connect request and authentication', () => {
  test('flags, name truncation and the daemon-chosen name', async () => {
    const d = await fake();
    let { ret, out } = await spConnect(d.spreadName, 'abcdefghijkl', 1, 0);
    assert.equal(ret, sp.ACCEPT_SESSION);
    let s = await d.nextSession();
    assert.equal(s.name, 'abcdefghij', 'cut to 10 as libspread does');
    assert.equal(out.privateGroup, '#abcdefghij#sp1');
    assert.equal(s.membership, false);
    assert.equal(s.priority, 1);
    assert.deepEqual(s.choice, ['NULL']);
    assert.deepEqual(s.version, { major: 5, minor: 0, patch: 1 });
    ({ ret, out } = await spConnect(d.spreadName, null));
    assert.equal(ret, sp.ACCEPT_SESSION);
    s = await d.nextSession();
    assert.equal(s.membership, true);
    assert.equal(s.priority, 0);
    assert.equal(out.privateGroup, '#r1234-9#sp1');
  });

  test('an illegal private name is refused before anything is sent', async () => {
    const d = await fake();
    for (const n of ['a#b', 'a b', 'tab\t']) assert.equal((await spConnect(d.spreadName, n)).ret, sp.REJECT_ILLEGAL_NAME);
    assert.equal(d.sessions.length, 0);
  });

  test('a method the daemon does not offer: REJECT_AUTH, and no choice is sent', async () => {
    for (const authList of [['IP'], []]) {
      const d = await fake({ authList });
      assert.equal((await spConnect(d.spreadName, 'alice')).ret, sp.REJECT_AUTH);
      await assert.rejects(SpreadConnection.connect({ spread: d.spreadName, privateName: 'alice', authMethods: [NULL_AUTH] }), { name: 'SpreadRejectedError', code: sp.REJECT_AUTH });
      assert.equal(d.sessions.length, 0);
    }
  });

  test('PWORD sends its 40 bytes after the choice; several methods fill several slots', async () => {
    const d = await fake({ authList: ['NULL', 'PWORD'], authExtraBytes: 40 });
    const conn = await SpreadConnection.connect({ spread: d.spreadName, privateName: 'pw', authMethods: [NULL_AUTH, pwordAuth('user1', 'secret')] });
    const s = await d.nextSession();
    assert.deepEqual(s.choice, ['NULL', 'PWORD']);
    const raw = Buffer.concat(s.raw);
    const afterChoice = raw.subarray(5 + 2 + 90, 5 + 2 + 90 + 40);
    assert.equal(afterChoice.subarray(0, 32).toString('latin1').replace(/\0+$/, ''), 'user1');
    assert.equal(afterChoice.subarray(32).toString('latin1').replace(/\0+$/, ''), 'secret');
    conn.kill();
    sp.SP_set_auth_methods([NULL_AUTH]);
  });

  test('daemon versions: below 3.1.0 refused, below 3.8.0 refused with priority', async () => {
    let d = await fake({ daemonVersion: { major: 3, minor: 0, patch: 9 } });
    assert.equal((await spConnect(d.spreadName, 'a')).ret, sp.REJECT_VERSION);
    d = await fake({ daemonVersion: { major: 3, minor: 1, patch: 0 } });
    assert.equal((await spConnect(d.spreadName, 'a')).ret, sp.ACCEPT_SESSION);
    d = await fake({ daemonVersion: { major: 3, minor: 7, patch: 0 } });
    assert.equal((await spConnect(d.spreadName, 'a', 1)).ret, sp.REJECT_VERSION);
    assert.equal((await spConnect(d.spreadName, 'b', 0)).ret, sp.ACCEPT_SESSION);
    d = await fake({ daemonVersion: { major: 4, minor: 4, patch: 0 } });
    const conn = await SpreadConnection.connect({ spread: d.spreadName, privateName: 'a', priority: true });
    assert.deepEqual(conn.daemonVersion, { major: 4, minor: 4, patch: 0 });
    conn.kill();
  });

  test('the accept reply may arrive a byte at a time; impossible values close the connection', async () => {
    const slow = await rawServer((s) => {
      let got = 0;
      s.on('data', async (c: Buffer) => {
        got += c.length;
        if (got === 10) s.write(Buffer.from([5, 0x4e, 0x55, 0x4c, 0x4c, 0x20]));
        if (got === 100) {
          for (const b of Buffer.concat([Buffer.from([1, 5, 0, 1, 10]), Buffer.from('#alice#sp1')])) {
            s.write(Buffer.from([b]));
            await new Promise((r) => setTimeout(r, 2));
          }
        }
      });
    });
    const { ret, out } = await spConnect(`${slow.port}@127.0.0.1`, 'alice');
    assert.equal(ret, sp.ACCEPT_SESSION);
    assert.equal(out.privateGroup, '#alice#sp1');
    await slow.close();

    const bad = await rawServer((s) => {
      let got = 0;
      s.on('data', (c: Buffer) => {
        got += c.length;
        if (got === 10) s.write(Buffer.from([5, 0x4e, 0x55, 0x4c, 0x4c, 0x20]));
        if (got === 100) s.write(Buffer.from([1, 5, 0, 1, 40]));
      });
    });
    assert.equal((await spConnect(`${bad.port}@127.0.0.1`, 'alice')).ret, sp.CONNECTION_CLOSED);
    await bad.close();
  });

  test('the daemon closing during the handshake is CONNECTION_CLOSED', async () => {
    const srv = await rawServer((s) => s.once('data', () => s.end()));
    assert.equal((await spConnect(`${srv.port}@127.0.0.1`, 'alice')).ret, sp.CONNECTION_CLOSED);
    await assert.rejects(SpreadConnection.connect({ spread: `${srv.port}@127.0.0.1` }), { name: 'ConnectionClosedError', code: sp.CONNECTION_CLOSED });
    await srv.close();
  });
});

describe('addresses, timeouts and aborts', () => {
  test('illegal spread names', async () => {
    for (const name of ['abc', '4803x', '70000', '4803@', `4803@${'h'.repeat(80)}`]) {
      assert.equal((await spConnect(name, 'a')).ret, sp.ILLEGAL_SPREAD, name);
      await assert.rejects(SpreadConnection.connect({ spread: name }), { name: 'IllegalSpreadError', code: sp.ILLEGAL_SPREAD });
    }
  });

  test('nothing listening: COULD_NOT_CONNECT over TCP and Unix sockets', async () => {
    const srv = await rawServer(() => {});
    const port = srv.port;
    await srv.close();
    assert.equal((await spConnect(`${port}@127.0.0.1`, 'a')).ret, sp.COULD_NOT_CONNECT);
    const path = tempSocketPath();
    assert.equal((await spConnect({ path }, 'a')).ret, sp.COULD_NOT_CONNECT);
    await assert.rejects(SpreadConnection.connect({ path }), { name: 'CouldNotConnectError', code: sp.COULD_NOT_CONNECT });
  });

  test('a Unix-socket daemon', async () => {
    const path = tempSocketPath();
    const d = await fake({ unixPath: path });
    const { ret, out } = await spConnect({ path }, 'unixy');
    assert.equal(ret, sp.ACCEPT_SESSION);
    assert.equal(out.privateGroup, '#unixy#sp1');
    const conn = await SpreadConnection.connect({ path, privateName: 'u2' });
    assert.equal(conn.privateGroup.name, '#u2#sp1');
    await conn.close();
    assert.equal(d.sessions.length, 2);
  });

  test('a daemon that never answers: SP_connect_timeout gives COULD_NOT_CONNECT, timeoutMs a TimeoutError', async () => {
    const mute = await rawServer(() => {});
    const t0 = Date.now();
    const out = { mbox: 0, privateGroup: '' };
    assert.equal(await sp.SP_connect_timeout(`${mute.port}@127.0.0.1`, 'a', 0, 1, out, { sec: 0, usec: 200_000 }), sp.COULD_NOT_CONNECT);
    const took = Date.now() - t0;
    assert.ok(took >= 150 && took < 2000, `took ${took} ms`);
    await assert.rejects(SpreadConnection.connect({ spread: `${mute.port}@127.0.0.1`, timeoutMs: 100 }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'TimeoutError');
      assert.equal((err as { code?: number }).code, sp.COULD_NOT_CONNECT);
      return true;
    });
    await mute.close();
  });

  test('an AbortSignal aborts a connect in progress, and an aborted signal refuses at once', async () => {
    const mute = await rawServer(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user gave up')), 50);
    await assert.rejects(SpreadConnection.connect({ spread: `${mute.port}@127.0.0.1`, signal: ac.signal }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'AbortError');
      assert.equal((err.cause as Error).message, 'user gave up');
      return true;
    });
    await assert.rejects(SpreadConnection.connect({ spread: `${mute.port}@127.0.0.1`, signal: AbortSignal.abort() }), { name: 'AbortError' });
    await mute.close();
  });
});
