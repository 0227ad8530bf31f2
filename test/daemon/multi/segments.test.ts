// A configuration of several segments (the guide's multi-segment layout) on loopback: daemons of
// two segments form one ring, and clients on every daemon get the same Agreed order, Safe
// delivery and large messages cut into fragments, at the loopback packet size and at Spread's own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AGREED_MESS, REG_MEMB_MESS, SAFE_MESS } from '../../../client/wire/index.ts';
import { parseConfig } from '../../../daemon/config/index.ts';
import { FAST_TIMEOUTS, startTestDaemons, waitForRing } from '../../support/daemon.ts';
import { rawConnect, rawJoin, rawMulticast, rawReceive, rawReceiveData, type RawSession } from '../../support/raw-client.ts';

const NAMES = ['a1', 'a2', 'b1'];
const HOSTS = ['127.0.1.1', '127.0.1.2', '127.0.2.1'];

function twoSegments(port: number, ...options: string[]): string {
  return [
    `Spread_Segment 127.0.1.255:${port} {`,
    `  a1 127.0.1.1`,
    `  a2 127.0.1.2`,
    '}',
    `Spread_Segment 127.0.2.255:${port} {`,
    `  b1 127.0.2.1`,
    '}',
    ...FAST_TIMEOUTS,
    ...options,
    '',
  ].join('\n');
}


for (const [label, port, options] of [
  ['loopback packets (PacketSize auto)', 32610, []],
  ["Spread's 1472-byte packets", 32620, ['PacketSize = 1472']],
] as const) {
  describe(`two segments, three daemons: ${label}`, () => {
    test('one ring; the same Agreed order, Safe and fragmented messages on every daemon', async () => {
      const text = twoSegments(port, ...options);
      const config = parseConfig(text, 'segments.conf');
      assert.equal(config.segments.length, 2);
      assert.equal(config.packetSize, options.length === 0 ? 16384 : 1472);
      const daemons = await startTestDaemons(text, NAMES);
      const sessions: RawSession[] = [];
      try {
        await waitForRing(daemons, 3);
        for (let i = 0; i < 3; i++) sessions.push(await rawConnect({ port: daemons[i]!.tcpPort, host: HOSTS[i]! }, `c${i}`));
        for (const s of sessions) rawJoin(s, 'seg');
        // every member sees the full view before traffic starts
        await Promise.all(
          sessions.map(async (s) => {
            for (;;) {
              const m = await rawReceive(s, 15_000);
              if ((m.header.type & REG_MEMB_MESS) !== 0 && m.groups.length === 3) return;
            }
          }),
        );
        const perSender = 40;
        const big = Buffer.alloc(50_000, 7); // 35 fragments at 1472 bytes, 4 at 16 KB
        for (let i = 0; i < perSender; i++) {
          sessions.forEach((s, k) => {
            const payload = i === 7 ? Buffer.concat([Buffer.from(`${k}:${i}:`), big]) : Buffer.from(`${k}:${i}`);
            rawMulticast(s, i % 5 === 0 ? SAFE_MESS : AGREED_MESS, ['seg'], payload);
          });
        }
        const logs = await Promise.all(sessions.map((s) => rawReceiveData(s, 3 * perSender)));
        const texts = logs.map((l) => l.map((m) => `${m.header.sender}|${m.body.length}|${m.body.subarray(0, 12).toString('latin1')}`));
        assert.deepEqual(texts[1], texts[0], 'one order on a1 and a2');
        assert.deepEqual(texts[2], texts[0], 'one order on a1 and b1');
        for (const l of logs) {
          const bigOnes = l.filter((m) => m.body.length > big.length);
          assert.equal(bigOnes.length, 3, 'each member got the three large messages');
          for (const m of bigOnes) assert.ok(m.body.subarray(m.body.length - big.length).equals(big), 'reassembled byte for byte');
        }
        sessions.forEach((s, k) => {
          const mine = logs[0]!.filter((m) => m.header.sender === s.privateGroup).map((m) => m.body.toString('latin1').split(':')[1]);
          assert.deepEqual(mine, Array.from({ length: perSender }, (_, i) => String(i)), `FIFO for sender ${k}`);
        });
      } finally {
        for (const s of sessions) s.client.close();
        await Promise.all(daemons.map((d) => d.stop()));
      }
    });
  });
}
