// Authenticated daemon traffic: the datagram tag (HMAC-SHA256 cut to 16 bytes), and real daemons
// on loopback: two with the right key form a ring and carry messages, one with a wrong key has
// its datagrams dropped and counted, and stays alone.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGREED_MESS, REG_MEMB_MESS } from '../../../client/wire/index.ts';
import { DAEMON_KEY_TAG_BYTES } from '../../../daemon/config/index.ts';
import type { RunningDaemon } from '../../../daemon/index.ts';
import { DatagramAuth, daemonKeyBytes, datagramAuthFor } from '../../../daemon/net/datagram-auth.ts';
import { FAST_TIMEOUTS, startTestDaemons, threeDaemonConfig, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive, type RawSession } from '../../support/raw-client.ts';

describe('the datagram tag', () => {
  const auth = new DatagramAuth(Buffer.from('right'));
  const datagram = Buffer.from('a daemon datagram, header and body');

  test('seal appends HMAC-SHA256 cut to 16 bytes; open checks it and strips it', () => {
    const sealed = auth.seal(datagram);
    assert.equal(DAEMON_KEY_TAG_BYTES, 16);
    assert.equal(sealed.length, datagram.length + 16);
    assert.deepEqual(sealed.subarray(datagram.length), createHmac('sha256', 'right').update(datagram).digest().subarray(0, 16));
    assert.deepEqual(auth.open(sealed), datagram);
  });

  test('a changed byte, a wrong key, a missing or short tag: dropped', () => {
    const sealed = auth.seal(datagram);
    for (let i = 0; i < sealed.length; i += 7) {
      const t = Buffer.from(sealed);
      t[i]! ^= 0x01;
      assert.equal(auth.open(t), undefined, `byte ${i} flipped`);
    }
    assert.equal(new DatagramAuth(Buffer.from('wrong')).open(sealed), undefined);
    assert.equal(auth.open(datagram), undefined, 'an unsigned datagram');
    assert.equal(auth.open(sealed.subarray(0, 16)), undefined);
    assert.equal(auth.open(Buffer.alloc(0)), undefined);
  });

  test('the key: DaemonKey text, or DaemonKeyFile without its trailing newline; none without either', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spread-key-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, 'right\n');
      assert.deepEqual(daemonKeyBytes({ file }), Buffer.from('right'));
      assert.deepEqual(daemonKeyBytes({ text: 'ключ' }), Buffer.from('ключ', 'utf8'));
      assert.deepEqual(datagramAuthFor({ daemonKey: { file } })!.seal(datagram), auth.seal(datagram));
      writeFileSync(file, '\n');
      assert.throws(() => daemonKeyBytes({ file }), /is empty/);
      assert.throws(() => daemonKeyBytes({ file: join(dir, 'absent') }), /cannot read DaemonKeyFile/);
      assert.equal(datagramAuthFor({ daemonKey: undefined }), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('daemons with different keys', () => {
  const SEGMENT_PORT = 24560;
  let daemons: RunningDaemon[] = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function receiveData(s: RawSession): Promise<string> {
    for (;;) {
      const m = await rawReceive(s, 10_000);
      if ((m.header.type & REG_MEMB_MESS) === 0) return m.body.toString();
    }
  }

  test('two with the right key form a ring; the one with a wrong key is kept out', async () => {
    const right = threeDaemonConfig(SEGMENT_PORT, 'DaemonKey = "right"', ...FAST_TIMEOUTS);
    const wrong = threeDaemonConfig(SEGMENT_PORT, 'DaemonKey = "wrong"', ...FAST_TIMEOUTS);
    daemons = [...(await startTestDaemons(right, ['d1', 'd2'])), ...(await startTestDaemons(wrong, ['d3']))];
    const [d1, d2, d3] = daemons as [RunningDaemon, RunningDaemon, RunningDaemon];
    await waitForRing([d1, d2], 2);
    // d3 keeps looking for the others; every datagram either way fails the check and is counted.
    const failures = (d: RunningDaemon): number => d.node.ring!.status().driver.authFailures;
    await until('auth failures on every daemon', () => failures(d1) > 0 && failures(d2) > 0 && failures(d3) > 0);
    const start = [failures(d1), failures(d3)];
    await until('more auth failures', () => failures(d1) > start[0]! + 2 && failures(d3) > start[1]! + 2);
    const s1 = d1.node.ring!.status();
    const s3 = d3.node.ring!.status();
    assert.equal(s1.members.length, 2);
    assert.deepEqual(d2.node.ring!.status().members, s1.members);
    assert.equal(s3.members.length, 1, 'd3 stays alone');
    assert.ok(!s1.members.includes(s3.members[0]!), 'd3 is not in the ring of d1 and d2');
    assert.ok(s1.driver.dropped >= s1.driver.authFailures, 'auth failures are part of the dropped count');
    // The signed ring carries client messages.
    const a = await rawConnect({ port: d1.tcpPort, host: '127.0.0.1' }, 'a');
    const b = await rawConnect({ port: d2.tcpPort, host: '127.0.0.2' }, 'b');
    rawJoin(a, 'k');
    await rawReceive(a, 10_000);
    rawJoin(b, 'k');
    await Promise.all([rawReceive(a, 10_000), rawReceive(b, 10_000)]);
    rawMulticast(b, AGREED_MESS, ['k'], Buffer.from('signed'));
    assert.deepEqual(await Promise.all([receiveData(a), receiveData(b)]), ['signed', 'signed']);
    a.client.close();
    b.client.close();
  });
});
