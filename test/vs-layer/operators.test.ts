// Marble tests (rxjs/testing TestScheduler) of the stream API's operators: ordering of the
// projections, completion after 'left', errors, the current-view replay, and view pairing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { completeOnLeft } from '../../vs-layer/operators/complete-on-left.ts';
import { flushRequests } from '../../vs-layer/operators/flush-requests.ts';
import { messages } from '../../vs-layer/operators/messages.ts';
import { startWithCurrentView } from '../../vs-layer/operators/start-with-current-view.ts';
import { views } from '../../vs-layer/operators/views.ts';
import { withView } from '../../vs-layer/operators/with-view.ts';
import { VsDisconnectedError } from '../../vs-layer/errors.ts';
import type { FlushRequest, VsGroupEvent, VsMessage, VsView } from '../../vs-layer/types.ts';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

const mkView = (id: string, members: string[] = ['#a#d']): VsView => ({
  group: 'g',
  id,
  groupId: [1, 1, Number(id.split('.')[2])],
  members,
  myIndex: 0,
  cause: 'join',
  cameWithMe: ['#a#d'],
  vsSets: [members],
  joined: [],
  left: [],
  disconnected: [],
});
const mkMsg = (viewId: string, n: number): VsMessage => ({
  group: 'g',
  viewId,
  sender: '#a#d',
  service: 'agreed',
  type: n,
  payload: new Uint8Array([n]),
  afterTransitional: false,
});
const req: FlushRequest = { group: 'g', viewId: '1.1.2', deadline: undefined, flush: () => Promise.resolve() };

const V1 = mkView('1.1.1');
const V2 = mkView('1.1.2', ['#a#d', '#b#d']);
const M1 = mkMsg('1.1.1', 1);
const M2 = mkMsg('1.1.1', 2);
const M3 = mkMsg('1.1.2', 3);
const EV: Record<string, VsGroupEvent> = {
  v: { kind: 'view', group: 'g', view: V1 },
  w: { kind: 'view', group: 'g', view: V2 },
  a: { kind: 'message', group: 'g', message: M1 },
  b: { kind: 'message', group: 'g', message: M2 },
  c: { kind: 'message', group: 'g', message: M3 },
  t: { kind: 'transitional', group: 'g', viewId: '1.1.1' },
  f: { kind: 'flushRequest', group: 'g', request: req },
  L: { kind: 'left', group: 'g' },
};

test('the group stream completes right after its left event, and unsubscribes from the source', () => {
  scheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
    const src = hot('  -v-a-f-w-c-L-a-|', EV);
    const sub = '     ^----------!';
    expectObservable(src.pipe(completeOnLeft())).toBe('-v-a-f-w-c-(L|)', EV);
    expectSubscriptions(src.subscriptions).toBe(sub);
  });
});

test('projections keep the order of the source and pass completion and errors through', () => {
  scheduler().run(({ hot, expectObservable }) => {
    const src = hot('-v-a-b-t-f-w-c-L-|', EV);
    const events = src.pipe(completeOnLeft());
    expectObservable(events.pipe(views())).toBe('-v---------w---|', { v: V1, w: V2 });
    expectObservable(events.pipe(messages())).toBe('---a-b-------c-|', { a: M1, b: M2, c: M3 });
    expectObservable(events.pipe(flushRequests())).toBe('---------f-----|', { f: req });
  });
  scheduler().run(({ hot, expectObservable }) => {
    const lost = new VsDisconnectedError('gone');
    const src = hot('-v-a-#', EV, lost);
    expectObservable(src.pipe(completeOnLeft(), messages())).toBe('---a-#', { a: M1 }, lost);
    expectObservable(src.pipe(completeOnLeft(), views())).toBe('-v---#', { v: V1 }, lost);
  });
});

test('a late view subscriber first gets the view installed at that moment, once', () => {
  scheduler().run(({ hot, expectObservable }) => {
    let current: VsView | undefined;
    const src = hot('-v--a--w--|', EV);
    src.subscribe((e) => {
      if (e.kind === 'view') current = e.view;
    });
    const late = '    ----^-----';
    expectObservable(src.pipe(views(), startWithCurrentView(() => current)), late).toBe('----v--w--|', { v: V1, w: V2 });
    const early = '   ^---------';
    expectObservable(src.pipe(views(), startWithCurrentView(() => current)), early).toBe('-v-----w--|', { v: V1, w: V2 });
  });
});

test('the replayed view is not repeated when the source delivers it again (held events)', () => {
  scheduler().run(({ cold, expectObservable }) => {
    const src = cold('v-w-|', EV);
    expectObservable(src.pipe(views(), startWithCurrentView(() => V1))).toBe('v-w-|', { v: V1, w: V2 });
  });
});

test('withView pairs each message with the view it was delivered in', () => {
  scheduler().run(({ hot, expectObservable }) => {
    const src = hot('-a-v-a-b-w-c-|', EV);
    expectObservable(src.pipe(withView())).toBe('-----x-y---z-|', {
      x: { view: V1, message: M1 },
      y: { view: V1, message: M2 },
      z: { view: V2, message: M3 },
    });
  });
});
