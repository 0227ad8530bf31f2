// The KV recipe against a plain Map model (fast-check), and its declared keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { produce } from 'immer';
import { applyKv, keysOf, validateCommand, KvValueTooLargeError, type KvCommand, type StoredEntry } from '../../../replication/kv/commands.ts';
import type { Json, StateMap, StateReader } from '../../../replication/rsm/index.ts';

const key = fc.constantFrom('a', 'ab', 'b', 'b/c');
const val = fc.constantFrom('MQ==', 'Mg==', 'Mw==');
const cmd: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), k: key, v: val }),
  fc.record({ t: fc.constant('del' as const), k: key }),
  fc.record({ t: fc.constant('delr' as const), p: fc.constantFrom('a', 'b', '') }),
  fc.record({ t: fc.constant('cas' as const), k: key, expect: fc.oneof(fc.record({ val }), fc.constant({ absent: true as const })), v: val }),
);

test('applyKv matches a Map model over random command sequences', () => {
  fc.assert(
    fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
      let state: StateMap = {};
      const model = new Map<string, string>();
      cmds.forEach((c, i) => {
        let result: Json = null;
        state = produce(state, (d) => {
          result = applyKv(d, c, { index: i + 1, timestamp: 0, clientId: 'x', seq: i + 1, random: () => 0 });
        });
        const r = result as unknown as { ok: boolean };
        switch (c.t) {
          case 'put':
            model.set(c.k, c.v);
            break;
          case 'del':
            model.delete(c.k);
            break;
          case 'delr':
            for (const k of [...model.keys()]) if (k.startsWith(c.p)) model.delete(k);
            break;
          case 'cas': {
            const cur = model.get(c.k);
            const e = c.expect as { absent: true } | { val: string };
            const holds = 'absent' in e ? cur === undefined : cur === e.val;
            assert.equal(r.ok, holds);
            if (holds) model.set(c.k, c.v);
            break;
          }
          default:
            break;
        }
      });
      const got = new Map(Object.entries(state).map(([k, v]) => [k.slice(2), (v as unknown as StoredEntry).v]));
      assert.deepEqual(got, model);
    }),
    { numRuns: 300 },
  );
});

test('keysOf declares the old TTL index entry so a put can drop it', async () => {
  const state: Record<string, Json> = { 'k/x': { v: 'MQ==', ci: 1, mi: 1, ver: 1, exp: 500 }, 't/000000000000500/x': 1 };
  const reader: StateReader = {
    get: async (k) => state[k],
    keys: async ({ gte, lt }) => Object.keys(state).filter((k) => k >= gte && k < lt).sort(),
  };
  assert.deepEqual((await keysOf({ t: 'put', k: 'x', v: 'Mg==' }, reader)).sort(), ['k/x', 't/000000000000500/x']);
  assert.deepEqual((await keysOf({ t: 'exp', upTo: 600 }, reader)).sort(), ['k/x', 't/000000000000500/x']);
  assert.deepEqual(await keysOf({ t: 'exp', upTo: 499 }, reader), []);
});

test('validation names the problem', () => {
  assert.throws(() => validateCommand({ t: 'put', k: 'x', v: 'A'.repeat(100) }, 10), KvValueTooLargeError);
  assert.throws(() => validateCommand({ t: 'put', k: '', v: '' }, 10), /non-empty/);
  assert.throws(() => validateCommand({ t: 'nope' } as unknown as KvCommand, 10), /unknown KV command/);
});
