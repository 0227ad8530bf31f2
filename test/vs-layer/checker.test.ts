// The VS checker against hand-made histories: a correct one passes, each violation is found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkFifo,
  checkSameDeliveries,
  checkSelfDelivery,
  checkSendingView,
  checkViewAgreement,
  checkViewSequence,
  checkVs,
  type MemberTrace,
  type SentRecord,
  type TraceEvent,
} from './checker.ts';

const view = (viewId: string, ...members: string[]): TraceEvent => ({ kind: 'view', viewId, members, cameWithMe: members });
const msg = (viewId: string, sender: string, seq: number): TraceEvent => ({ kind: 'message', viewId, sender, seq, id: `${sender}:${seq}` });
const sent = (sender: string, seq: number, viewId: string) => ({ id: `${sender}:${seq}`, sender, seq, viewId });

/** a and b in v1, c joins (v2), a leaves (v3); messages in each view. */
function good(): MemberTrace[] {
  return [
    {
      member: 'a',
      events: [view('v1', 'a', 'b'), msg('v1', 'a', 1), msg('v1', 'b', 1), view('v2', 'a', 'b', 'c'), msg('v2', 'c', 1), msg('v2', 'a', 2), { kind: 'left' }],
      sent: [sent('a', 1, 'v1'), sent('a', 2, 'v2')],
    },
    {
      member: 'b',
      events: [view('v1', 'a', 'b'), msg('v1', 'b', 1), msg('v1', 'a', 1), view('v2', 'a', 'b', 'c'), msg('v2', 'c', 1), msg('v2', 'a', 2), view('v3', 'b', 'c'), msg('v3', 'b', 2)],
      sent: [sent('b', 1, 'v1'), sent('b', 2, 'v3')],
    },
    {
      member: 'c',
      events: [view('v2', 'a', 'b', 'c'), msg('v2', 'a', 2), msg('v2', 'c', 1), { kind: 'transitional', viewId: 'v2' }, view('v3', 'b', 'c'), msg('v3', 'b', 2)],
      sent: [sent('c', 1, 'v2')],
    },
  ];
}

interface Editable {
  member: string;
  events: TraceEvent[];
  sent: SentRecord[];
}

function edit(f: (t: Editable[]) => void): MemberTrace[] {
  const t: Editable[] = good().map((x) => ({ member: x.member, events: [...x.events], sent: [...x.sent] }));
  f(t);
  return t;
}

test('a correct history passes every check', () => {
  assert.deepEqual(checkVs(good()), []);
});

test('view agreement: different member lists for one view id, a view without its installer, a view twice', () => {
  const t = edit((h) => {
    h[2]!.events[0] = view('v2', 'a', 'c', 'b');
  });
  assert.match(checkViewAgreement(t).join('\n'), /view v2: .* saw \[a,b,c\], c saw \[a,c,b\]/);
  const t2 = edit((h) => {
    h[0]!.events[0] = view('v1', 'b', 'z');
  });
  assert.match(checkViewAgreement(t2).join('\n'), /a installed v1 without being in it/);
  const t3 = edit((h) => {
    h[1]!.events.push(view('v2', 'a', 'b', 'c'));
  });
  assert.match(checkViewAgreement(t3).join('\n'), /b installed v2 twice/);
});

test('view sequence: common views in another order; moving to different next views', () => {
  const t = edit((h) => {
    h[1]!.events = [view('v2', 'a', 'b', 'c'), view('v1', 'a', 'b')];
  });
  assert.match(checkViewSequence(t).join('\n'), /installed v1 before v2, b the other way round/);
  const t2 = edit((h) => {
    // c, in b's transitional set for v3, goes from v2 to some other view instead.
    h[2]!.events[4] = view('v9', 'c');
  });
  assert.match(checkViewSequence(t2).join('\n'), /b went from v2 to v3 with c, but c went from v2 to v9/);
  // Had b installed v3 with c outside its transitional set (c cut off meanwhile), that is allowed.
  const t3 = edit((h) => {
    h[1]!.events[6] = { kind: 'view', viewId: 'v3', members: ['b', 'c'], cameWithMe: ['b'] };
    h[2]!.events[4] = { kind: 'view', viewId: 'v9', members: ['c'], cameWithMe: ['c'] };
  });
  assert.deepEqual(checkViewSequence(t3), []);
});

test('sending view: delivered in another view than sent, from a non-member, never sent, outside a view', () => {
  const t = edit((h) => {
    h[0]!.sent[1] = sent('a', 2, 'v1');
  });
  assert.match(checkSendingView(t).join('\n'), /delivered a:2 in v2, sent in v1/);
  const t2 = edit((h) => {
    h[1]!.events.push(msg('v3', 'a', 3));
    h[0]!.sent.push(sent('a', 3, 'v3'));
  });
  assert.match(checkSendingView(t2).join('\n'), /b delivered a:3 from a, not in v3/);
  const t3 = edit((h) => {
    h[2]!.events.splice(2, 0, msg('v2', 'b', 9));
  });
  assert.match(checkSendingView(t3).join('\n'), /c delivered b:9, never sent/);
  const t4 = edit((h) => {
    h[2]!.events.unshift(msg('v1', 'a', 1));
  });
  assert.match(checkSendingView(t4).join('\n'), /c delivered a:1 outside any view/);
  const t5 = edit((h) => {
    h[1]!.events[2] = msg('v0', 'a', 1);
  });
  assert.match(checkSendingView(t5).join('\n'), /b delivered a:1 tagged v0 while in v1/);
});

test('same deliveries: two members moving v2 -> v3 with different message sets', () => {
  const t = edit((h) => {
    h[2]!.events.splice(1, 1); // c misses a:2 in v2
  });
  assert.match(checkSameDeliveries(t).join('\n'), /v2->v3: c vs b: missing \[a:2\]/);
});

test('self delivery: a sender that moved on without delivering its own message', () => {
  const t = edit((h) => {
    h[2]!.events.splice(2, 1); // c does not deliver c:1 in v2, then installs v3
  });
  assert.match(checkSelfDelivery(t).join('\n'), /c did not deliver its own c:1 in v2/);
  const t2 = edit((h) => {
    h[2]!.sent.push(sent('c', 2, 'v1'));
  });
  assert.match(checkSelfDelivery(t2).join('\n'), /c sent c:2 in v1, a view it never installed/);
  // A sender whose trace ends in the view (it left or crashed) owes nothing.
  const t3 = edit((h) => {
    h[0]!.events.splice(5, 1);
  });
  assert.deepEqual(checkSelfDelivery(t3), []);
});

test('FIFO: a sender\'s messages out of order, or twice', () => {
  const t = edit((h) => {
    h[1]!.events = [view('v1', 'a', 'b'), msg('v1', 'a', 2), msg('v1', 'a', 1)];
  });
  assert.match(checkFifo(t).join('\n'), /b delivered a's #1 after #2/);
  const t2 = edit((h) => {
    h[1]!.events.push(msg('v3', 'b', 2));
  });
  assert.match(checkFifo(t2).join('\n'), /b delivered b:2 twice/);
});

test('incarnations: a member that leaves and joins again starts a fresh view sequence', () => {
  const t = edit((h) => {
    h[0]!.events.push(view('v4', 'a', 'b', 'c'));
    h[1]!.events.push(view('v4', 'a', 'b', 'c'));
    h[2]!.events.push(view('v4', 'a', 'b', 'c'));
  });
  assert.deepEqual(checkVs(t), []);
});

test('order rules: Reliable may overtake within a sender; a total order, when asked for, must hold', () => {
  // good() orders a:1/b:1 (v1) and a:2/c:1 (v2) differently at different members, which VS allows
  const traces = good();
  assert.deepEqual(checkVs(traces), [], 'no total order asked for');
  const all = checkVs(traces, { total: () => true });
  assert.deepEqual(all, [
    'a delivered a:1 before b:1, b the other way round',
    'a delivered c:1 before a:2, c the other way round',
    'b delivered c:1 before a:2, c the other way round',
  ]);
  assert.deepEqual(checkVs(traces, { total: (e) => e.viewId === 'v3' }), [], 'only what the rule orders is checked');
  // a:2 before a:1 at one member: a FIFO violation, unless a:1 is a message FIFO does not order
  const swapped: MemberTrace[] = [{ member: 'x', events: [view('v1', 'x', 'a'), msg('v1', 'a', 2), msg('v1', 'a', 1)], sent: [] }];
  assert.equal(checkFifo(swapped).length, 1);
  assert.deepEqual(checkFifo(swapped, (e) => e.seq !== 1), []);
});
