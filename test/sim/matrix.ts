// The default simulated matrix: ring sizes x loss rates x seeds, each run checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultScenario, type RingScenario } from './ring-sim.ts';
import { replayCommand } from './replay.ts';
import { describeFailure, runRingScenario } from './run.ts';
import { LOOPBACK_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES } from '../../daemon/wire/constants.ts';

export const RING_SIZES = [1, 2, 3, 5, 9] as const;
export const LOSS_RATES = [0, 0.05, 0.1, 0.2] as const;

/** Registers one test per (size, loss) cell, each running `seeds`. */
export function registerMatrix(seeds: ReadonlyArray<number>, base: Partial<RingScenario>): void {
  for (const daemons of RING_SIZES) {
    for (const loss of LOSS_RATES) {
      test(`${daemons} daemon(s), ${loss * 100}% loss, seeds ${seeds.join(',')}`, () => {
        for (const seed of seeds) {
          const overrides: Partial<RingScenario> = {
            ...base,
            daemons,
            loss,
            duplicate: loss / 4,
            messagesPerDaemon: daemons >= 5 ? 25 : 40,
            hugePerDaemon: seed % 2,
            // one seed in three with loopback-sized datagrams (PacketSize = auto on one host)
            packetSize: seed % 3 === 0 ? LOOPBACK_DATAGRAM_BYTES : MAX_DATAGRAM_BYTES,
          };
          const r = runRingScenario(defaultScenario(seed, overrides));
          if (r.violations.length > 0) assert.fail(describeFailure(r, replayCommand(seed, overrides)));
          assert.equal(r.trace.submits.length, daemons * overrides.messagesPerDaemon!);
        }
      });
    }
  }
}
