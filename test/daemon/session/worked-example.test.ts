// Byte-exact replay of the spec's worked example (client-protocol.md section 9) against our
// daemon: every client-to-daemon block is sent as is, every daemon-to-client block is compared
// byte for byte, with only the configuration-time word of group ids masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient } from '../../support/raw-client.ts';
import { loadSpecDumps } from '../../support/spec-dumps.ts';
import { startTestDaemon } from '../../support/daemon.ts';

/** The numbered steps of the example: who sends, in which direction, which bytes. */
const steps = loadSpecDumps()
  .filter((d) => d.step !== undefined)
  .map((d) => {
    const m = /^Step \d+\. (C>D|D>C) \(([a-z]+)\)/.exec(d.label);
    if (m === null) throw new Error(`unexpected step label: ${d.label}`);
    return { step: d.step!, direction: m[1] as 'C>D' | 'D>C', who: m[2]!, title: d.label, bytes: d.bytes };
  });

/** Positions of the group id "time" word inside the membership messages of the example. */
function maskTime(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const type = out.readUInt32LE(0);
  if ((type & 0x1000) !== 0) {
    const body = 48 + 32 * out.readInt32LE(36);
    out.fill(0, body + 4, body + 8);
  }
  return out;
}

function bobHandshake(): { request: Buffer; choice: Buffer } {
  return {
    request: Buffer.from([5, 0, 1, 1, 3, ...Buffer.from('bob')]),
    choice: steps.find((s) => s.step === 3)!.bytes,
  };
}

test('spec section 9: worked example replays byte for byte', async () => {
  assert.equal(steps.length, 15, 'the spec holds 15 steps');
  const daemon = await startTestDaemon();
  try {
    const clients: Record<string, RawClient> = {
      alice: await RawClient.open({ port: daemon.tcpPort }),
    };
    for (const step of steps) {
      if (step.who === 'bob' && clients.bob === undefined) {
        const bob = await RawClient.open({ path: daemon.unixSocketPath! });
        const hs = bobHandshake();
        bob.write(hs.request);
        assert.deepEqual(await bob.read(6), Buffer.from('054e554c4c20', 'hex'));
        bob.write(hs.choice);
        assert.deepEqual(await bob.read(5 + 8), Buffer.concat([Buffer.from([1, 5, 0, 1, 8]), Buffer.from('#bob#sp1')]));
        clients.bob = bob;
      }
      const c = clients[step.who]!;
      if (step.direction === 'C>D') {
        c.write(step.bytes);
        continue;
      }
      const got = await c.read(step.bytes.length);
      assert.deepEqual(
        maskTime(got).toString('hex'),
        maskTime(step.bytes).toString('hex'),
        `step ${step.step} (${step.title})`,
      );
    }
    // Step 15 was alice's KILL: she sees end of stream and nothing else.
    assert.equal((await clients.alice!.expectClose()).length, 0);
    await clients.bob!.expectSilence();
    clients.bob!.close();
  } finally {
    await daemon.stop();
  }
});
