// The primary-component core driven with synthetic views: partitions 2|3, heals, interrupted
// exchanges, dynamic linear voting with pending attempts, base choice and adoption.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeCore, GENESIS_META, type Decision, type ExchangeAction } from '../../../replication/rsm/exchange.ts';
import type { Durability, QuorumPolicy } from '../../../replication/rsm/types.ts';
import type { LogEntry, RsmMessage } from '../../../replication/rsm/wire.ts';

const R5 = ['a', 'b', 'c', 'd', 'e'];

class Member {
  readonly core: ExchangeCore;
  applied = 0;
  entries = new Map<number, LogEntry>();
  len = 0;
  ge = 0;
  active: Decision | undefined;
  nonPrimary: string | undefined;
  fenced = false;
  gap = false;
  constructor(
    readonly id: string,
    replicas: readonly string[],
    quorum: QuorumPolicy = 'static-majority',
    durability: Durability = 'quorum',
  ) {
    this.core = new ExchangeCore({ me: id, replicas, quorum, durability }, GENESIS_META);
  }
  tail(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = this.applied + 1; i <= this.len; i++) out.push(this.entries.get(i)!);
    return out;
  }
  /** Green deliveries in the active view: append and certify. */
  deliverGreen(...ids: string[]): void {
    for (const c of ids) {
      const i = this.len + 1;
      this.entries.set(i, entry(i, c));
      this.len = i;
      this.ge = i;
    }
    this.core.setProgress(this.len, this.ge);
  }
  applyUpTo(i: number): void {
    this.applied = Math.max(this.applied, Math.min(i, this.len));
  }
}

const entry = (i: number, c: string): LogEntry => ({ i, c, s: 1, ts: 0, b: c });

/** Delivers one component's exchange in total order. `cut` ends the regular part after that many deliveries. */
function runView(members: Member[], key: string, opts: { cut?: number; commitsOnlyTo?: string } = {}): void {
  const queue: Array<{ from: string; m: RsmMessage }> = [];
  const perform = (mem: Member, actions: ExchangeAction[]): void => {
    for (const a of actions) {
      switch (a.type) {
        case 'send-state':
          queue.push({ from: mem.id, m: { k: 'tail', v: key, e: [...a.tail] } });
          queue.push({ from: mem.id, m: a.state });
          break;
        case 'adopt-and-commit': {
          for (const i of [...mem.entries.keys()]) if (i > a.adoption.keepUpTo) mem.entries.delete(i);
          for (const e of a.adoption.write) mem.entries.set(e.i, e);
          mem.len = a.meta.len;
          mem.ge = a.meta.greenEnd;
          mem.gap = a.adoption.gap;
          queue.push({ from: mem.id, m: a.commit });
          break;
        }
        case 'persist-and-ready':
          queue.push({ from: mem.id, m: a.ready });
          break;
        case 'activate':
          mem.active = a.decision;
          if (!mem.gap) {
            mem.ge = mem.len;
            mem.core.setProgress(mem.len, mem.ge);
          }
          break;
        case 'non-primary':
          mem.nonPrimary = a.reason;
          break;
        case 'fenced':
          mem.fenced = true;
          break;
      }
    }
  };
  for (const mem of members) {
    mem.active = undefined;
    mem.nonPrimary = undefined;
    perform(mem, mem.core.onView(key, members.map((x) => x.id), { appliedIndex: mem.applied, digest: '', tail: mem.tail() }));
  }
  let delivered = 0;
  while (queue.length > 0) {
    if (opts.cut !== undefined && delivered === opts.cut) {
      for (const mem of members) perform(mem, mem.core.onTransitional());
      // After the signal, what was already sent may still be delivered (transitional part).
      while (queue.length > 0) {
        const { from, m } = queue.shift()!;
        for (const mem of members) if (opts.commitsOnlyTo === undefined || m.k !== 'commit' || mem.id === opts.commitsOnlyTo) mem.core.onMessage(from, m);
      }
      return;
    }
    const { from, m } = queue.shift()!;
    delivered++;
    for (const mem of members) perform(mem, mem.core.onMessage(from, m));
  }
}

function cluster(ids = R5, quorum: QuorumPolicy = 'static-majority', durability: Durability = 'quorum'): Map<string, Member> {
  return new Map(ids.map((id) => [id, new Member(id, ids, quorum, durability)]));
}
const pick = (c: Map<string, Member>, ids: string): Member[] => [...ids].map((id) => c.get(id)!);

describe('primary component (static majority)', () => {
  test('all five form a primary from genesis', () => {
    const c = cluster();
    runView(pick(c, 'abcde'), 'v1');
    for (const m of c.values()) assert.equal(m.active?.view, 'v1');
    assert.equal(c.get('a')!.core.currentMeta.lineage?.view, 'v1');
  });

  test('partition 2|3: only the three-member side becomes primary; heal carries its list', () => {
    const c = cluster();
    runView(pick(c, 'abcde'), 'v1');
    for (const m of c.values()) {
      m.deliverGreen('x1', 'x2');
      m.applyUpTo(2);
    }
    runView(pick(c, 'ab'), 'v2');
    runView(pick(c, 'cde'), 'v3');
    for (const id of 'ab') {
      assert.equal(c.get(id)!.active, undefined);
      assert.match(c.get(id)!.nonPrimary!, /holds 2 of 5/);
    }
    for (const id of 'cde') assert.equal(c.get(id)!.active?.view, 'v3');
    for (const m of pick(c, 'cde')) {
      m.deliverGreen('y1', 'y2', 'y3');
      m.applyUpTo(5);
    }
    runView(pick(c, 'abcde'), 'v4');
    const d = c.get('a')!.active!;
    assert.equal(d.view, 'v4');
    assert.equal(d.lineage?.view, 'v3');
    assert.equal(d.chosen, 'c');
    assert.equal(d.baseIndex, 5);
    assert.deepEqual(d.laggards, ['a', 'b']);
    assert.deepEqual(d.donors, ['c', 'd', 'e']);
    assert.ok(c.get('a')!.gap && c.get('b')!.gap);
    assert.ok(!c.get('c')!.gap);
  });

  test('the minority never activates, whatever it held', () => {
    const c = cluster();
    runView(pick(c, 'abcde'), 'v1');
    for (const m of pick(c, 'ab')) m.deliverGreen('only-in-ab'); // yellow-like leftovers
    runView(pick(c, 'ab'), 'v2');
    runView(pick(c, 'cde'), 'v3');
    assert.equal(c.get('a')!.active, undefined);
    assert.equal(c.get('c')!.active?.view, 'v3');
  });

  test('a view cut before all READYs does not activate anywhere; the next view does', () => {
    const c = cluster(['a', 'b', 'c']);
    runView(pick(c, 'abc'), 'v1', { cut: 9 }); // 3 tails + 3 states + 3 commits delivered, no READY
    for (const m of c.values()) assert.equal(m.active, undefined);
    runView(pick(c, 'abc'), 'v2');
    for (const m of c.values()) assert.equal(m.active?.view, 'v2');
    const b1 = c.get('a')!.active!.ballot;
    assert.ok(b1 >= 2, 'the second attempt has a higher ballot');
  });

  test('a lineage known only at level 2 wins over an older activated view', () => {
    const c = cluster(['a', 'b', 'c']);
    runView(pick(c, 'abc'), 'v1');
    // v2 = {a,b}: all COMMITs delivered (level 2 persisted, READY sent), cut before READYs.
    runView(pick(c, 'ab'), 'v2', { cut: 8 });
    assert.equal(c.get('a')!.core.currentMeta.lineage?.view, 'v2');
    assert.equal(c.get('c')!.core.currentMeta.lineage?.view, 'v1');
    runView(pick(c, 'bc'), 'v3');
    assert.equal(c.get('b')!.active?.lineage?.view, 'v2');
  });
});

describe('base choice and adoption', () => {
  test("quorum mode picks the longest certified prefix, then the longest list", () => {
    const c = cluster(['a', 'b', 'c']);
    runView(pick(c, 'abc'), 'v1');
    const [a, b] = pick(c, 'ab');
    a!.deliverGreen('g1', 'g2');
    b!.deliverGreen('g1', 'g2', 'g3');
    // a also holds two uncertified (yellow) entries: longer list, shorter certified prefix
    a!.entries.set(3, entry(3, 'y3'));
    a!.entries.set(4, entry(4, 'y4'));
    a!.len = 4;
    a!.core.setProgress(4, 2);
    c.get('c')!.deliverGreen('g1');
    runView(pick(c, 'abc'), 'v2');
    const d = a!.active!;
    assert.equal(d.chosen, 'b');
    assert.equal(d.baseIndex, 3);
    assert.equal(a!.entries.get(3)!.b, 'g3', 'a replaced its yellow entry with the base');
    assert.equal(a!.entries.get(4), undefined);
    assert.equal(c.get('c')!.entries.get(3)!.b, 'g3');
  });

  test("safe mode picks the longest list", () => {
    const c = cluster(['a', 'b', 'c'], 'static-majority', 'safe');
    runView(pick(c, 'abc'), 'v1');
    const [a, b] = pick(c, 'ab');
    b!.deliverGreen('g1');
    a!.deliverGreen('g1');
    a!.entries.set(2, entry(2, 'y2'));
    a!.len = 2;
    a!.core.setProgress(2, 1);
    runView(pick(c, 'abc'), 'v2');
    assert.equal(a!.active!.chosen, 'a');
    assert.equal(b!.entries.get(2)!.b, 'y2');
  });

  test('a replica that applied beyond the new base is fenced', () => {
    const c = cluster(['a', 'b', 'c'], 'static-majority', 'safe');
    runView(pick(c, 'abc'), 'v1');
    const a = c.get('a')!;
    a.deliverGreen('g1', 'g2');
    a.applyUpTo(2);
    // a's STATE claims applied 2 but its list is not eligible (different lineage tag): simulate by a fresh view without a
    runView(pick(c, 'bc'), 'v2');
    const b = c.get('b')!;
    b.deliverGreen('h1');
    b.applyUpTo(1);
    c.get('c')!.deliverGreen('h1');
    runView(pick(c, 'abc'), 'v3');
    assert.ok(a.fenced, 'a applied g1,g2 that the activated v2 never had');
  });
});

describe('dynamic linear voting', () => {
  const dyn: QuorumPolicy = { kind: 'dynamic-linear', minPrimarySize: 2 };

  test('2 of the last primary 3 may continue where static majority of 5 may not', () => {
    const s = cluster(R5);
    runView(pick(s, 'abcde'), 'v1');
    runView(pick(s, 'cde'), 'v2');
    runView(pick(s, 'cd'), 'v3');
    assert.equal(s.get('c')!.active, undefined);

    const d = cluster(R5, dyn);
    runView(pick(d, 'abcde'), 'v1');
    runView(pick(d, 'cde'), 'v2');
    runView(pick(d, 'cd'), 'v3');
    assert.equal(d.get('c')!.active?.view, 'v3');
    runView(pick(d, 'abe'), 'v4');
    assert.equal(d.get('a')!.active, undefined, '{a,b,e} holds 1 of the last primary {c,d}');
  });

  test('a pending attempt blocks the other side: no two primaries', () => {
    const d = cluster(R5, dyn);
    runView(pick(d, 'abcde'), 'v1');
    // v2 = {a,b,c}: every COMMIT is sent but only a delivers them all before the cut.
    runView(pick(d, 'abc'), 'v2', { cut: 6, commitsOnlyTo: 'a' });
    assert.equal(d.get('c')!.core.currentMeta.attempts.at(-1)?.view, 'v2');
    runView(pick(d, 'cde'), 'v3');
    assert.equal(d.get('c')!.active, undefined, '{c,d,e} lacks a majority of the attempt {a,b,c}');
    runView(pick(d, 'ab'), 'v4');
    // a knows v2 at level 1 only here (no level 2 since COMMITs came after the cut): both sides blocked is acceptable, two primaries is not
    const primaries = ['v3', 'v4'].filter((v) => [...d.values()].some((m) => m.active?.view === v));
    assert.ok(primaries.length <= 1);
  });
});

describe('colour of a delivered command', () => {
  test('green in the regular part of an activated view, yellow after the signal, drop otherwise', () => {
    const c = cluster(['a', 'b', 'c']);
    const a = c.get('a')!;
    assert.equal(a.core.colour('v1'), 'drop');
    runView(pick(c, 'abc'), 'v1');
    assert.equal(a.core.colour('v1'), 'green');
    assert.equal(a.core.colour('v0'), 'drop');
    a.core.onTransitional();
    assert.equal(a.core.colour('v1'), 'yellow');
    assert.equal(a.core.canSend, false);
  });
});
