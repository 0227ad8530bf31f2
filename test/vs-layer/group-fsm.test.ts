// The group state machine driven by hand-written inputs: the handshake, blocking, tagging and
// holding, collapsing, partitions and merges (synthetic CAUSED_BY_NETWORK memberships with
// several vs sets), placeholders, self-leave and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupFsm, type EvsRegularInput, type GroupAction, type GroupInput } from '../../vs-layer/group-fsm.ts';
import { FLOK_AGE_LIMIT, ILLEGAL_MESSAGE_TYPE, ILLEGAL_RECEIVERS, ILLEGAL_STATE } from '../../vs-layer/constants.ts';
import { ILLEGAL_GROUP } from '../../client/wire/constants.ts';
import type { ViewCause } from '../../vs-layer/types.ts';

const enc = new TextEncoder();
let tokens = 1;

class Harness {
  readonly fsm: GroupFsm;
  constructor(
    readonly self: string,
    sendWhileFlushed: 'queue' | 'reject' = 'queue',
  ) {
    this.fsm = new GroupFsm({ self, group: 'g', sendWhileFlushed });
  }
  step(i: GroupInput): GroupAction[] {
    const out = this.fsm.step(i);
    assert.deepEqual(this.fsm.invariants(), [], `invariants after ${i.type}`);
    return out;
  }
  reg(id: string, members: string[], cause: ViewCause, vsSets?: string[][], mine = 0): GroupAction[] {
    const input: EvsRegularInput = {
      type: 'evsRegular',
      viewId: id,
      groupId: [1, 2, Number(id.split('.')[2] ?? 0)],
      members,
      cause,
      vsSets: vsSets ?? [[members[0]!]],
      myVsSetIndex: mine,
    };
    return this.step(input);
  }
  ok(sender: string, viewId: string): GroupAction[] {
    return this.step({ type: 'flushOk', sender, viewId });
  }
  recv(sender: string, viewId: string): GroupAction[] {
    return this.step({ type: 'flushRecv', sender, viewId });
  }
  data(sender: string, text: string, tag?: string): GroupAction[] {
    return this.step({ type: 'data', sender, service: 'agreed', messType: 0, payload: enc.encode(text), ...(tag === undefined ? {} : { tag }) });
  }
  send(service: 'agreed' | 'fifo' = 'agreed', extra: { receivers?: string[]; messType?: number } = {}): GroupAction[] {
    return this.step({ type: 'appSend', token: tokens++, service, messType: extra.messType ?? 0, payload: [enc.encode('x')], ...(extra.receivers === undefined ? {} : { receivers: extra.receivers }) });
  }
  /** A one-member group installed in view 1.1.1, steady. */
  static alone(self = 'a'): Harness {
    const h = new Harness(self);
    h.reg('1.1.1', [self], 'join');
    h.ok(self, '1.1.1');
    h.recv(self, '1.1.1');
    assert.equal(h.fsm.viewPhase, 'steady');
    return h;
  }
}

const kinds = (as: GroupAction[]): string[] =>
  as.filter((a) => a.type !== 'dropped').map((a) => (a.type === 'deliver' ? `deliver:${a.event.kind}` : a.type === 'sendControl' ? `${a.kind}:${a.viewId}` : a.type));
const delivered = (as: GroupAction[]) => as.flatMap((a) => (a.type === 'deliver' ? [a.event] : []));
const texts = (as: GroupAction[]): string[] => delivered(as).flatMap((e) => (e.kind === 'message' ? [new TextDecoder().decode(e.message.payload)] : []));

test('a joiner flushes by itself and installs its first view once its own FLUSH_OK is back', () => {
  const h = new Harness('a');
  assert.deepEqual(h.fsm.snapshot().join, 'joining');
  assert.deepEqual(kinds(h.reg('1.1.1', ['a'], 'join')), ['flushOk:1.1.1']);
  const out = h.ok('a', '1.1.1');
  assert.deepEqual(kinds(out), ['deliver:view', 'flushRecv:1.1.1']);
  const v = delivered(out)[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.members, ['a']);
  assert.deepEqual(v.view.joined, ['a']);
  assert.deepEqual(v.view.cameWithMe, ['a']);
  assert.equal(v.view.cause, 'join');
  assert.equal(v.view.delta, 'a');
  assert.equal(h.fsm.joinState, 'joined');
  assert.equal(h.fsm.viewPhase, 'verify');
  h.recv('a', '1.1.1');
  assert.equal(h.fsm.viewPhase, 'steady');
});

test('a member is asked to flush, may send until it does, then its sends wait for the next view', () => {
  const h = Harness.alone('a');
  assert.deepEqual(kinds(h.reg('1.1.2', ['a', 'b'], 'join', [['b']])), ['deliver:flushRequest']);
  assert.equal(h.fsm.viewPhase, 'authorize');
  // Before flushing: sent in the old view; weak sends are tagged only outside steady state.
  const s1 = h.send('fifo');
  assert.equal(s1[0]!.type, 'sendData');
  if (s1[0]!.type === 'sendData') {
    assert.equal(s1[0]!.viewId, '1.1.1');
    assert.equal(s1[0]!.tag, '1.1.1');
  }
  const s2 = h.send('agreed');
  if (s2[0]!.type === 'sendData') assert.equal(s2[0]!.tag, undefined);
  assert.deepEqual(kinds(h.step({ type: 'appFlush' })), ['flushOk:1.1.2']);
  assert.deepEqual(kinds(h.step({ type: 'appFlush' })), ['refuse'], 'one flush per request');
  assert.deepEqual(kinds(h.send('agreed')), ['queued']);
  h.ok('a', '1.1.2');
  assert.equal(h.fsm.view?.id, '1.1.1', 'not installed before b flushed');
  const out = h.ok('b', '1.1.2');
  assert.deepEqual(kinds(out), ['deliver:view', 'sendData', 'flushRecv:1.1.2']);
  const send = out.find((a) => a.type === 'sendData');
  assert.ok(send?.type === 'sendData');
  assert.equal(send.viewId, '1.1.2', 'the queued send goes out in the new view');
  const v = delivered(out)[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.joined, ['b']);
  assert.deepEqual(v.view.cameWithMe, ['a']);
  assert.equal(v.view.previousId, '1.1.1');
});

test("sendWhileFlushed 'reject': a send after flushing is refused with ILLEGAL_STATE", () => {
  const h = new Harness('a', 'reject');
  h.reg('1.1.1', ['a'], 'join');
  const r = h.send();
  assert.ok(r[0]?.type === 'refuse' && r[0].code === ILLEGAL_STATE, 'joining counts as flushed');
});

test('messages from outside the view are dropped; messages of the view are delivered with its id', () => {
  const h = Harness.alone('a');
  assert.deepEqual(texts(h.data('z', 'nope')), []);
  const out = h.data('a', 'mine');
  const m = delivered(out)[0];
  assert.ok(m?.kind === 'message');
  assert.equal(m.message.viewId, '1.1.1');
  assert.equal(m.message.afterTransitional, false);
});

test('a vulnerable message for the view being installed is held, then delivered right after the view', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b', 'c'], 'network', [['a'], ['b', 'c']], 0);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  h.ok('b', '1.1.2');
  // b already has c's FLUSH_OK, installed 1.1.2 and sent a FIFO message, tagged; it overtakes
  // c's FLUSH_OK on its way to us (FIFO orders one sender's messages only).
  assert.deepEqual(texts(h.data('b', 'early', '1.1.2')), []);
  assert.equal(h.fsm.snapshot().held, 1);
  assert.deepEqual(texts(h.data('b', 'other view', '7.7.7')), [], 'a tag for a view nobody installs here is dropped');
  const out = h.ok('c', '1.1.2');
  assert.deepEqual(kinds(out), ['deliver:view', 'deliver:message', 'flushRecv:1.1.2']);
  assert.deepEqual(texts(out), ['early']);
  const m = delivered(out)[1]!;
  assert.ok(m.kind === 'message' && m.message.viewId === '1.1.2');
});

test('steady state: once every member confirmed the view, weak sends carry no tag', () => {
  const h = Harness.alone('a');
  const s = h.send('fifo');
  assert.ok(s[0]?.type === 'sendData' && s[0].tag === undefined);
});

test('collapsing: a change whose new member leaves before flushing is discarded; one view for two changes', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  // b disconnects before its FLUSH_OK: 1.1.2 can never complete.
  const out = h.reg('1.1.3', ['a'], 'disconnect', [['b']]);
  assert.deepEqual(kinds(out), ['flushOk:1.1.3'], 'already flushed: FLUSH_OK for the new head at once');
  assert.deepEqual(h.fsm.snapshot().queue, ['1.1.3']);
  const inst = h.ok('a', '1.1.3');
  const v = delivered(inst)[0]!;
  assert.ok(v.kind === 'view');
  assert.equal(v.view.id, '1.1.3');
  assert.equal(v.view.cause, 'network', 'a collapsed change is reported as a network change');
  assert.equal(v.view.previousId, '1.1.1');
  assert.deepEqual(v.view.joined, []);
  assert.deepEqual(v.view.left, []);
});

test('a change still completes when a member leaves after flushing; the view then starts with a transitional signal', () => {
  const h2 = Harness.alone('a');
  h2.reg('1.1.2', ['a', 'c'], 'join', [['c']]);
  h2.step({ type: 'appFlush' });
  h2.ok('c', '1.1.2');
  const leave = h2.reg('1.1.3', ['a'], 'leave', [['c']]);
  assert.deepEqual(kinds(leave), [], 'no transitional yet: c was not in the installed view 1.1.1');
  const out = h2.ok('a', '1.1.2');
  assert.deepEqual(kinds(out), ['deliver:view', 'deliver:transitional', 'deliver:flushRequest']);
  h2.step({ type: 'appFlush' });
  const last = h2.ok('a', '1.1.3');
  const v = delivered(last)[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.left, ['c']);
  assert.deepEqual(v.view.disconnected, []);
  assert.equal(v.view.cause, 'leave');
  assert.equal(v.view.delta, 'c');
});

test('disconnects are reported in `disconnected`, and the shrinking view gets one transitional signal', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  h.ok('b', '1.1.2');
  const out = h.reg('1.1.3', ['a'], 'disconnect', [['b']]);
  assert.deepEqual(kinds(out), ['deliver:transitional', 'deliver:flushRequest']);
  assert.deepEqual(kinds(h.step({ type: 'evsTransitional', viewId: '1.1.2' })), [], 'once per view');
  const late = h.data('b', 'ghost');
  assert.deepEqual(texts(late), [], 'a member seen leaving is filtered');
  h.step({ type: 'appFlush' });
  const v = delivered(h.ok('a', '1.1.3'))[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.disconnected, ['b']);
  assert.deepEqual(v.view.cameWithMe, ['a']);
});

test('partition: transitional signal, then a network change whose vs set decides who left', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b', 'c', 'd'], 'network', [['a'], ['b', 'c', 'd']], 0);
  h.step({ type: 'appFlush' });
  for (const m of ['a', 'b', 'c', 'd']) h.ok(m, '1.1.2');
  for (const m of ['a', 'b', 'c', 'd']) h.recv(m, '1.1.2');
  assert.equal(h.fsm.viewPhase, 'steady');
  // The network splits {a,b} | {c,d}.
  const t = h.step({ type: 'evsTransitional', viewId: '1.1.2' });
  assert.deepEqual(kinds(t), ['deliver:transitional']);
  assert.deepEqual(texts(h.data('c', 'still delivered in the transitional configuration')), ['still delivered in the transitional configuration']);
  const m = delivered(h.data('b', 'late'))[0];
  assert.ok(m?.kind === 'message' && m.message.afterTransitional);
  const out = h.reg('2.5.1', ['a', 'b'], 'network', [['a', 'b']], 0);
  assert.deepEqual(kinds(out), ['deliver:flushRequest'], 'transitional already delivered in this view');
  assert.deepEqual(texts(h.data('c', 'gone')), []);
  h.step({ type: 'appFlush' });
  h.ok('a', '2.5.1');
  const v = delivered(h.ok('b', '2.5.1'))[0]!;
  assert.ok(v.kind === 'view');
  assert.equal(v.view.cause, 'network');
  assert.deepEqual(v.view.left, ['c', 'd']);
  assert.deepEqual(v.view.disconnected, []);
  assert.deepEqual(v.view.cameWithMe, ['a', 'b']);
  assert.equal(v.view.delta, undefined);
});

test('merge: a network change with two vs sets; the other side joins, cameWithMe is my side', () => {
  const h = Harness.alone('a');
  const out = h.reg('3.1.1', ['a', 'x', 'y'], 'network', [['x', 'y'], ['a']], 1);
  assert.deepEqual(kinds(out), ['deliver:flushRequest'], 'nobody left: no transitional signal');
  h.step({ type: 'appFlush' });
  h.ok('x', '3.1.1');
  h.ok('y', '3.1.1');
  const v = delivered(h.ok('a', '3.1.1'))[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.joined, ['x', 'y']);
  assert.deepEqual(v.view.cameWithMe, ['a']);
  assert.deepEqual(v.view.vsSets, [['x', 'y'], ['a']]);
});

test('a member that was partitioned away and merges back within one change did not come with me', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  h.ok('b', '1.1.2');
  // b is in the new membership but in another vs set: it lived through other views meanwhile.
  const out = h.reg('4.1.1', ['a', 'b'], 'network', [['a'], ['b']], 0);
  assert.deepEqual(kinds(out), ['deliver:transitional', 'deliver:flushRequest']);
  h.step({ type: 'appFlush' });
  h.ok('a', '4.1.1');
  const v = delivered(h.ok('b', '4.1.1'))[0]!;
  assert.ok(v.kind === 'view');
  assert.deepEqual(v.view.cameWithMe, ['a']);
  assert.deepEqual(v.view.joined, []);
});

test('cascaded partitions: a queued network change loses a member before its FLUSH_OK and is discarded', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b', 'c'], 'join', [['b']]);
  h.reg('1.1.3', ['a', 'b', 'c'], 'join', [['c']]);
  h.step({ type: 'appFlush' });
  for (const m of ['a', 'b', 'c']) h.ok(m, '1.1.2');
  assert.deepEqual(h.fsm.snapshot().queue, ['1.1.3']);
  // Work on 1.1.3 starts; then c is cut off before its FLUSH_OK for it.
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.3');
  h.ok('b', '1.1.3');
  h.step({ type: 'evsTransitional', viewId: '1.1.3' });
  const out = h.reg('5.1.1', ['a', 'b'], 'network', [['a', 'b']], 0);
  assert.deepEqual(kinds(out), ['flushOk:5.1.1']);
  h.ok('a', '5.1.1');
  const v = delivered(h.ok('b', '5.1.1'))[0]!;
  assert.ok(v.kind === 'view');
  assert.equal(v.view.id, '5.1.1');
  assert.equal(v.view.previousId, '1.1.2');
  assert.deepEqual(v.view.left, ['c']);
});

test('early FLUSH_OKs wait in a placeholder for their membership; unmatched ones age out', () => {
  const h = Harness.alone('a');
  h.ok('b', '1.1.2');
  assert.equal(h.fsm.snapshot().placeholders, 1);
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  assert.equal(h.fsm.snapshot().placeholders, 0);
  h.step({ type: 'appFlush' });
  assert.ok(delivered(h.ok('a', '1.1.2')).some((e) => e.kind === 'view'), "b's early FLUSH_OK counted");
  h.ok('q', '9.9.9');
  for (let i = 0; i < FLOK_AGE_LIMIT; i++) h.reg(`1.1.${100 + i}`, ['a', 'b'], 'join', [['b']]);
  assert.equal(h.fsm.snapshot().placeholders, 1);
  h.reg('1.1.999', ['a', 'b'], 'join', [['b']]);
  assert.equal(h.fsm.snapshot().placeholders, 0);
});

test('self-leave: left is delivered, queued sends are refused, later input is dropped', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  const q = h.send();
  assert.deepEqual(kinds(q), ['queued']);
  const lv = h.step({ type: 'appLeave' });
  assert.deepEqual(kinds(lv), ['refuse', 'sendLeave']);
  assert.ok(lv[0]!.type === 'refuse' && lv[0]!.token !== undefined && lv[0]!.code === ILLEGAL_STATE);
  assert.ok(h.step({ type: 'appLeave' })[0]?.type === 'refuse');
  const s = h.send();
  assert.ok(s[0]?.type === 'refuse' && s[0].code === ILLEGAL_STATE);
  assert.deepEqual(kinds(h.reg('1.1.3', ['a', 'b', 'c'], 'join', [['c']])), [], 'queued behind the change being worked on');
  assert.deepEqual(h.fsm.snapshot().queue, ['1.1.2', '1.1.3']);
  assert.deepEqual(kinds(h.step({ type: 'evsSelfLeave' })), ['deliver:left']);
  assert.equal(h.fsm.joinState, 'gone');
  assert.deepEqual(kinds(h.data('a', 'x')), []);
  const after = h.send();
  assert.ok(after[0]?.type === 'refuse' && after[0].code === ILLEGAL_GROUP);
});

test('a leaving member in steady state gets no flush request', () => {
  const h = Harness.alone('a');
  h.step({ type: 'appLeave' });
  assert.deepEqual(kinds(h.reg('1.1.2', ['a', 'b'], 'join', [['b']])), []);
  assert.ok(h.step({ type: 'appFlush' })[0]?.type === 'refuse');
});

test('refusals: reserved message type, receivers outside the view, empty receivers, flush without request', () => {
  const h = Harness.alone('a');
  const t = h.send('agreed', { messType: -32766 });
  assert.ok(t[0]?.type === 'refuse' && t[0].code === ILLEGAL_MESSAGE_TYPE);
  const r = h.send('agreed', { receivers: ['zz'] });
  assert.ok(r[0]?.type === 'refuse' && r[0].code === ILLEGAL_RECEIVERS);
  const e = h.send('agreed', { receivers: [] });
  assert.ok(e[0]?.type === 'refuse' && e[0].code === ILLEGAL_RECEIVERS);
  const ok = h.send('agreed', { receivers: ['a'] });
  assert.ok(ok[0]?.type === 'sendData' && ok[0].receivers?.[0] === 'a');
  const f = h.step({ type: 'appFlush' });
  assert.ok(f[0]?.type === 'refuse' && f[0].code === ILLEGAL_STATE && f[0].token === undefined);
});

test('a queued subgroup send whose receiver left by the next view is refused then', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  h.ok('b', '1.1.2');
  h.reg('1.1.3', ['a'], 'disconnect', [['b']]);
  h.step({ type: 'appFlush' });
  const q = h.send('agreed', { receivers: ['b'] });
  assert.deepEqual(kinds(q), ['queued']);
  const out = h.ok('a', '1.1.3');
  const r = out.find((a) => a.type === 'refuse');
  assert.ok(r?.type === 'refuse' && r.code === ILLEGAL_RECEIVERS);
});

test('FLUSH_OK from a non-member and for the installed view are ignored', () => {
  const h = Harness.alone('a');
  h.reg('1.1.2', ['a', 'b'], 'join', [['b']]);
  h.step({ type: 'appFlush' });
  h.ok('a', '1.1.2');
  assert.deepEqual(kinds(h.ok('mallory', '1.1.2')), []);
  assert.equal(h.fsm.view?.id, '1.1.1');
  assert.deepEqual(kinds(h.ok('b', '1.1.1')), []);
  assert.equal(h.fsm.snapshot().placeholders, 0);
});
