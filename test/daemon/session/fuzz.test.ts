// Random and mutated frames thrown at a live daemon: it never crashes and keeps serving a
// well-behaved client afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AGREED_MESS, JOIN_MESS, encodeAuthChoice, encodeCommand, encodeConnectRequest, encodeMessageHead, SPREAD_VERSION,
} from '../../../client/wire/index.ts';
import { startTestDaemon } from '../../support/daemon.ts';
import { RawClient, rawConnect, rawJoin, rawMulticast, rawReceive } from '../../support/raw-client.ts';

function validFrames(sender: string): Buffer[] {
  return [
    encodeCommand(JOIN_MESS, sender, 'fuzz'),
    Buffer.concat([encodeMessageHead(AGREED_MESS, sender, ['fuzz', '#x#sp1'], 7, 20), Buffer.alloc(20, 9)]),
    encodeCommand(0x00040000, sender, sender),
  ];
}

test('fuzzed handshakes and frames never break the daemon', async () => {
  const daemon = await startTestDaemon({ handshakeTimeoutMs: 200 });
  const where = { port: daemon.tcpPort };
  try {
    const handshakeCase = fc.uint8Array({ minLength: 0, maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(handshakeCase, async (bytes) => {
        const c = await RawClient.open(where);
        c.write(bytes);
        await new Promise((r) => setTimeout(r, 2));
        c.close();
      }),
      { numRuns: 60 },
    );
    const frameCase = fc.record({
      base: fc.integer({ min: 0, max: 2 }),
      flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 8 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      tail: fc.uint8Array({ maxLength: 64 }),
    });
    await fc.assert(
      fc.asyncProperty(frameCase, async ({ base, flips, cut, tail }) => {
        const s = await rawConnect(where, '');
        const frame = Buffer.from(validFrames(s.privateGroup)[base]!);
        for (const f of flips) frame[f.at % frame.length] = f.value;
        const bytes = Buffer.concat([cut === undefined ? frame : frame.subarray(0, cut % (frame.length + 1)), tail]);
        s.client.write(bytes);
        await new Promise((r) => setTimeout(r, 3));
        s.client.close();
      }),
      { numRuns: 150 },
    );
    await new Promise((r) => setTimeout(r, 300));
    const ok = await rawConnect(where, 'survivor', false);
    rawJoin(ok, 'after-fuzz');
    rawMulticast(ok, AGREED_MESS, ['after-fuzz'], Buffer.from('still here'));
    assert.equal((await rawReceive(ok)).body.toString(), 'still here');
    ok.client.close();
    const connectReq = encodeConnectRequest(SPREAD_VERSION, true, false, 'late');
    const late = await RawClient.open(where);
    late.write(connectReq);
    await late.read(6);
    late.write(encodeAuthChoice(['NULL']));
    assert.equal((await late.read(5))[0], 1);
    late.close();
  } finally {
    await daemon.stop();
  }
});
