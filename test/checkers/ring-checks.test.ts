// Each checker catches the violation it is for, on hand-made traces, and accepts a sound one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCausal,
  checkFifo,
  checkIntegrity,
  checkMemory,
  checkNoDuplicates,
  checkNoGaps,
  checkNoLoss,
  checkRingRun,
  checkSafe,
  checkTotalOrder,
} from './ring-checks.ts';
import type { DeliverRecord, RingRunTrace, SubmitRecord } from './ring-trace.ts';
import type { RingService } from '../../daemon/ring/index.ts';
import { PACKET_BODY_BYTES } from '../../daemon/wire/index.ts';

interface Msg {
  key: string;
  daemon: number;
  counter: number;
  service: RingService;
  size: number;
  seq: number;
  deliveredBefore?: number;
}

/** Builds a trace: `orders[d]` lists message keys in daemon d's delivery order. */
function trace(msgs: Msg[], orders: string[][], patch: Partial<RingRunTrace> = {}, heldBy?: (d: number, key: string) => number[]): RingRunTrace {
  const byKey = new Map(msgs.map((m) => [m.key, m]));
  const n = orders.length;
  const submits: SubmitRecord[] = msgs.map((m) => ({
    key: m.key,
    daemon: m.daemon,
    counter: m.counter,
    time: 0,
    service: m.service,
    size: m.size,
    deliveredBefore: m.deliveredBefore ?? 0,
  }));
  const deliveries: DeliverRecord[][] = orders.map((keys, d) =>
    keys.map((k) => {
      const m = byKey.get(k)!;
      return {
        daemon: d,
        key: k,
        origin: m.daemon,
        originator: m.daemon,
        time: 0,
        service: m.service,
        size: m.size,
        seq: m.seq,
        firstSeq: m.seq,
        index: 0,
        fragments: 1,
        early: false,
        payloadOk: true,
        heldBy: m.service === 'SAFE' ? (heldBy?.(d, k) ?? Array.from({ length: n }, (_, i) => i)) : undefined,
      };
    }),
  );
  return {
    daemons: n,
    submits,
    packetBodyBytes: PACKET_BODY_BYTES,
    deliveries,
    memory: orders.map((_, d) => ({ daemon: d, maxPacketsStored: 10, maxDownQueue: 3, maxUpQueueFragments: 0, finalPacketsStored: 0 })),
    anomalies: [],
    tokenLosses: 0,
    finished: true,
    ...patch,
  };
}

const A: Msg = { key: '0:0', daemon: 0, counter: 0, service: 'AGREED', size: 10, seq: 1 };
const B: Msg = { key: '1:0', daemon: 1, counter: 0, service: 'SAFE', size: 10, seq: 2 };
const C: Msg = { key: '0:1', daemon: 0, counter: 1, service: 'FIFO', size: 10, seq: 3 };
const R: Msg = { key: '1:1', daemon: 1, counter: 1, service: 'RELIABLE', size: 10, seq: 4 };
const bounds = { packetsStored: 100, downQueue: 10 };

describe('ring checkers', () => {
  test('a sound trace passes every check (one-packet Reliable may overtake)', () => {
    const t = trace([A, B, C, R], [['0:0', '1:0', '0:1', '1:1'], ['1:1', '0:0', '1:0', '0:1']]);
    assert.deepEqual(checkRingRun(t, bounds), []);
  });

  test('total order: two daemons disagree', () => {
    const t = trace([A, B, C], [['0:0', '1:0', '0:1'], ['1:0', '0:0', '0:1']]);
    assert.equal(checkTotalOrder(t).length, 1);
  });

  test('total order: delivery against ring positions', () => {
    const t = trace([A, B], [['1:0', '0:0'], ['1:0', '0:0']]);
    assert.match(checkTotalOrder(t)[0]!, /before/);
  });

  test('no gaps: a message delivered while an earlier position is missing', () => {
    const t = trace([A, B, C], [['0:0', '0:1', '1:0'], ['0:0', '1:0', '0:1']]);
    assert.ok(checkNoGaps(t).length >= 1);
  });

  test('FIFO: a later message of one sender delivered first', () => {
    const t = trace([A, C], [['0:1', '0:0']]);
    assert.equal(checkFifo(t).length, 1);
    const early: Msg = { ...C, service: 'RELIABLE' };
    assert.deepEqual(checkFifo(trace([A, early], [['0:1', '0:0']])), [], 'a one-packet Reliable one may overtake');
  });

  test('causal: m2 sent after its sender delivered m1 must follow m1 everywhere', () => {
    const m2: Msg = { key: '1:0', daemon: 1, counter: 0, service: 'AGREED', size: 10, seq: 2, deliveredBefore: 1 };
    const ok = trace([A, m2], [['0:0', '1:0'], ['0:0', '1:0']]);
    assert.deepEqual(checkCausal(ok), []);
    const bad = trace([A, m2], [['1:0', '0:0'], ['0:0', '1:0']]);
    assert.equal(checkCausal(bad).length, 1);
  });

  test('no duplicates, no loss, integrity', () => {
    assert.equal(checkNoDuplicates(trace([A], [['0:0', '0:0']])).length, 1);
    assert.equal(checkNoLoss(trace([A, C], [['0:0']])).length, 1);
    const t = trace([A], [['0:0']]);
    const bytes = { ...t, deliveries: [[{ ...t.deliveries[0]![0]!, payloadOk: false }]] };
    assert.equal(checkIntegrity(bytes).length, 1);
    const stranger = { ...t, deliveries: [[{ ...t.deliveries[0]![0]!, key: '9:9' }]] };
    assert.match(checkIntegrity(stranger)[0]!, /never submitted/);
  });

  test('Safe: delivered while some daemon lacked a packet', () => {
    const t = trace([B], [['1:0'], ['1:0']], {}, (d) => (d === 0 ? [0] : [0, 1]));
    assert.equal(checkSafe(t).length, 1);
  });

  test('memory: bounds and an idle ring that still stores packets', () => {
    const t = trace([A], [['0:0']]);
    const big = { ...t, memory: [{ daemon: 0, maxPacketsStored: 101, maxDownQueue: 11, maxUpQueueFragments: 0, finalPacketsStored: 2 }] };
    assert.equal(checkMemory(big, bounds).length, 3);
  });

  test('anomalies, token loss and an unfinished run fail the run', () => {
    const t = trace([A], [['0:0']], { anomalies: ['x'], tokenLosses: 1, finished: false });
    assert.equal(checkRingRun(t, bounds).length, 3);
  });
});
