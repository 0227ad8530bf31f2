// The stream API against a real daemon on loopback: views and messages, the flush policies
// (auto, hook, manual, timeouts), blocking while flushed, subgroup casts, errors, leave,
// unsubscription, close, kill, and the loss of the daemon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, take, tap, toArray, timer } from 'rxjs';
import type { RunningDaemon } from '../../daemon/index.ts';
import { SpreadConnection } from '../../client/api/spread-connection.ts';
import { SpreadMessage } from '../../client/api/spread-message.ts';
import {
  VsDisconnectedError,
  VsFlushHookError,
  VsFlushTimeoutError,
  VsIllegalGroupError,
  VsIllegalParamError,
  VsIllegalReceiversError,
  VsIllegalStateError,
  VsReservedTypeError,
} from '../../vs-layer/errors.ts';
import type { VsGroupEvent, VsView } from '../../vs-layer/types.ts';
import { bytes, connect, daemon, next, text, until, within } from './helpers.ts';

let d: RunningDaemon;
before(async () => {
  d = await daemon('vsc1');
});
after(async () => {
  await d?.stop();
});

test('a lone member: its first view, its own messages in that view, with the receipt naming it', async () => {
  const a = await connect(d, 'solo');
  const g = await a.join('solo-g');
  const view = await next(g.views$);
  assert.deepEqual(view.members, [a.privateName]);
  assert.equal(view.cause, 'join');
  assert.deepEqual(view.joined, [a.privateName]);
  assert.equal(view.myIndex, 0);
  const got = next(g.messages$);
  const receipt = await g.send(bytes('hello'), { type: 7 });
  const m = await got;
  assert.equal(text(m.payload), 'hello');
  assert.equal(m.type, 7);
  assert.equal(m.sender, a.privateName);
  assert.equal(m.service, 'agreed');
  assert.equal(m.viewId, view.id);
  assert.equal(receipt.viewId, view.id);
  assert.deepEqual(g.currentView(), view);
  assert.equal((await next(g.views$)).id, view.id, 'a late views$ subscriber gets the current view at once');
  await assert.rejects(g.send(bytes('x'), { service: 'bogus' as never }), VsIllegalParamError);
  await a.close();
});

test('two members: both install the same views; leave completes the leaver\'s streams; the other sees it go', async () => {
  const a = await connect(d, 'two-a');
  const b = await connect(d, 'two-b');
  const ga = await a.join('two');
  await next(ga.views$);
  const gb = await b.join('two');
  const [va, vb] = await Promise.all([next(ga.views$, (v) => v.members.length === 2), next(gb.views$)]);
  assert.equal(va.id, vb.id);
  assert.deepEqual(va.members, vb.members);
  assert.deepEqual(va.joined, [b.privateName]);
  assert.deepEqual(va.cameWithMe, [a.privateName]);
  assert.deepEqual(vb.joined, vb.members);
  const done = lastValueFrom(gb.events$.pipe(toArray()));
  const seenByA = next(ga.views$, (v) => v.members.length === 1);
  await gb.leave();
  const events = await done;
  assert.equal(events.at(-1)?.kind, 'left');
  const after = await seenByA;
  assert.deepEqual(after.left, [b.privateName]);
  assert.equal(after.cause, 'leave');
  assert.equal(after.delta, b.privateName);
  await assert.rejects(gb.send(bytes('late')), VsIllegalGroupError);
  await Promise.all([a.close(), b.close()]);
});

test('auto flush with a beforeFlush hook: the hook\'s last message is delivered in the old view, before the new view', async () => {
  const hookCalls: string[] = [];
  const a = await connect(d, 'hook-a', {
    flush: {
      mode: 'auto',
      beforeFlush: async (req) => {
        hookCalls.push(req.viewId);
        await new Promise((r) => setTimeout(r, 50));
        await a.group('hook')!.send(bytes('last words'));
      },
    },
  });
  const ga = await a.join('hook');
  const v1 = await next(ga.views$);
  const b = await connect(d, 'hook-b');
  const seen: VsGroupEvent[] = [];
  ga.events$.subscribe((e) => seen.push(e));
  await b.join('hook');
  const v2 = await next(ga.views$, (v) => v.members.length === 2);
  assert.equal(hookCalls.length, 1);
  const kinds = seen.map((e) => (e.kind === 'message' ? `message:${text(e.message.payload)}:${e.message.viewId === v1.id ? 'v1' : 'other'}` : e.kind));
  assert.deepEqual(kinds, ['flushRequest', 'message:last words:v1', 'view']);
  assert.equal(v2.previousId, v1.id);
  await Promise.all([a.close(), b.close()]);
});

test('a hook may return an Observable; a failing hook errors the group with VsFlushHookError and leaves it', async () => {
  let hookDone = false;
  const a = await connect(d, 'obs-a', { flush: { mode: 'auto', beforeFlush: () => timer(80).pipe(tap(() => (hookDone = true))) } });
  const ga = await a.join('obs');
  await next(ga.views$);
  const b = await connect(d, 'obs-b');
  await b.join('obs');
  await next(ga.views$, (v) => v.members.length === 2);
  assert.ok(hookDone, 'the view waited for the Observable to complete');

  const c = await connect(d, 'bad-c', { flush: { mode: 'auto', beforeFlush: () => Promise.reject(new Error('not ready')) } });
  const gc = await c.join('obs');
  const gcErr = lastValueFrom(gc.events$).then(
    () => undefined,
    (e: unknown) => e,
  );
  await next(gc.views$, (v) => v.members.length === 3);
  const x = await connect(d, 'obs-x');
  await x.join('obs');
  const err = await within(gcErr);
  assert.ok(err instanceof VsFlushHookError, String(err));
  assert.match((err as Error).message, /not ready/);
  // The rest of the group goes on without c.
  await next(ga.views$, (vv) => vv.members.includes(x.privateName) && !vv.members.includes(c.privateName));
  await until(() => c.group('obs') === undefined, 10_000, 'c left the group');
  await Promise.all([a.close(), b.close(), c.close(), x.close()]);
});

test('manual flush: sends after flushing wait for the next view; flush is idempotent; flush without a request is refused', async () => {
  const a = await connect(d, 'man-a', { flush: { mode: 'manual' } });
  const ga = await a.join('man');
  const v1 = await next(ga.views$);
  await assert.rejects(ga.flush(), VsIllegalStateError);
  const reqP = next(ga.flushRequests$);
  const b = await connect(d, 'man-b');
  await b.join('man');
  const req = await reqP;
  assert.equal(req.deadline, undefined);
  const before = await ga.send(bytes('before flush'));
  assert.equal(before.viewId, v1.id);
  await req.flush();
  await req.flush();
  await ga.flush();
  const queued = ga.send(bytes('after flush'));
  const v2 = await next(ga.views$, (v) => v.members.length === 2);
  assert.equal((await queued).viewId, v2.id, 'a send made while flushed goes out in the next view');
  await Promise.all([a.close(), b.close()]);
});

test("sendWhileFlushed 'reject': a send between flush and view is refused with VsIllegalStateError", async () => {
  const a = await connect(d, 'rej-a', { flush: { mode: 'manual' }, sendWhileFlushed: 'reject' });
  const ga = await a.join('rej');
  await next(ga.views$);
  const reqP = next(ga.flushRequests$);
  const b = await connect(d, 'rej-b');
  await b.join('rej');
  await (await reqP).flush();
  await assert.rejects(ga.send(bytes('x')), VsIllegalStateError);
  await next(ga.views$, (v) => v.members.length === 2);
  await ga.send(bytes('fine now'));
  await Promise.all([a.close(), b.close()]);
});

test("manual flush deadline: onTimeout 'error' fails the group with VsFlushTimeoutError; the others go on", async () => {
  const a = await connect(d, 'to-a', { flush: { mode: 'manual', timeoutMs: 150, onTimeout: 'error' } });
  const ga = await a.join('to');
  await next(ga.views$);
  const failed = lastValueFrom(ga.events$).then(
    () => undefined,
    (e: unknown) => e,
  );
  const b = await connect(d, 'to-b');
  const gb = await b.join('to');
  const err = await within(failed);
  assert.ok(err instanceof VsFlushTimeoutError);
  const vb = await next(gb.views$, (v) => v.members.length === 1 && v.members[0] === b.privateName);
  assert.deepEqual(vb.members, [b.privateName]);
  await until(() => a.group('to') === undefined, 10_000, 'a left the group');
  await Promise.all([a.close(), b.close()]);
});

test("manual flush deadline with onTimeout 'flush' flushes anyway; the request carries the deadline", async () => {
  let clock = 1_000_000;
  const a = await connect(d, 'tf-a', { flush: { mode: 'manual', timeoutMs: 100, onTimeout: 'flush' }, now: () => clock++ });
  const ga = await a.join('tf');
  await next(ga.views$);
  const reqP = next(ga.flushRequests$);
  const b = await connect(d, 'tf-b');
  await b.join('tf');
  const req = await reqP;
  assert.ok(req.deadline !== undefined && req.deadline >= 1_000_100 && req.deadline < 1_000_200);
  await next(ga.views$, (v) => v.members.length === 2);
  await Promise.all([a.close(), b.close()]);
});

test('subgroup casts reach the receivers only; strangers and reserved types are refused', async () => {
  const a = await connect(d, 'sub-a');
  const b = await connect(d, 'sub-b');
  const c = await connect(d, 'sub-c');
  const ga = await a.join('sub');
  await next(ga.views$);
  const gb = await b.join('sub');
  await next(ga.views$, (v) => v.members.length === 2);
  const gc = await c.join('sub');
  await Promise.all([ga, gb, gc].map((g) => next(g.views$, (v) => v.members.length === 3)));
  const atB = next(gb.messages$);
  const atC = firstValueFrom(gc.messages$.pipe(take(1), toArray()));
  await ga.sendTo([b.privateName], bytes('psst'), { service: 'fifo' });
  await ga.send(bytes('all'));
  const mb = await atB;
  assert.equal(text(mb.payload), 'psst');
  assert.deepEqual(mb.receivers, [b.privateName]);
  assert.equal(mb.service, 'fifo');
  const mc = await within(atC);
  assert.deepEqual(mc.map((m) => text(m.payload)), ['all'], 'c did not get the subgroup cast');
  await assert.rejects(ga.sendTo(['#nobody#vsc1'], bytes('x')), VsIllegalReceiversError);
  await assert.rejects(ga.send(bytes('x'), { type: -32766 }), VsReservedTypeError);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('join errors: illegal names and double joins are VsIllegalGroupError', async () => {
  const a = await connect(d, 'jerr');
  await assert.rejects(a.join('bad name'), VsIllegalGroupError);
  await a.join('jerr-g');
  await assert.rejects(a.join('jerr-g'), VsIllegalGroupError);
  await a.close();
  await assert.rejects(a.join('x'), VsDisconnectedError);
});

test('join$: subscribing joins, unsubscribing leaves; the others see the leave', async () => {
  const a = await connect(d, 'j$-a');
  const ga = await a.join('jobs');
  await next(ga.views$);
  const b = await connect(d, 'j$-b');
  const first = await firstValueFrom(b.join$('jobs').pipe(take(1)));
  assert.equal(first.kind, 'view', 'the first event is the first view (held until subscribed)');
  const view = (first as { view: VsView }).view;
  assert.ok(view.members.includes(b.privateName));
  const gone = await next(ga.views$, (v) => v.members.length === 1 && v.id !== view.id);
  assert.deepEqual(gone.left, [b.privateName]);
  await until(() => b.group('jobs') === undefined, 10_000, 'b left');
  await Promise.all([a.close(), b.close()]);
});

test('connection streams: events of every group in order; close completes everything', async () => {
  const a = await connect(d, 'cs-a');
  const all: string[] = [];
  const doneAll = lastValueFrom(a.events$.pipe(toArray()));
  a.views$.subscribe((v) => all.push(`view ${v.group}`));
  const g1 = await a.join('cs-1');
  const g2 = await a.join('cs-2');
  const c1 = lastValueFrom(g1.events$.pipe(toArray()));
  const c2 = lastValueFrom(g2.views$.pipe(toArray()));
  await until(() => all.length === 2, 10_000, 'two views');
  assert.deepEqual(all.sort(), ['view cs-1', 'view cs-2']);
  const states: string[] = [];
  a.state$.subscribe((s) => states.push(s));
  await a.close();
  assert.equal((await c1).length, 1);
  assert.equal((await c2).length, 1);
  assert.equal((await doneAll).length, 2);
  assert.deepEqual(states, ['connected', 'closing', 'closed']);
  assert.equal(await a.closed, undefined);
});

test('a killed member: the others see it disconnected; its own streams complete', async () => {
  const a = await connect(d, 'k-a');
  const b = await connect(d, 'k-b');
  const ga = await a.join('kill');
  await next(ga.views$);
  const gb = await b.join('kill');
  await next(ga.views$, (v) => v.members.length === 2);
  await next(gb.views$);
  const bDone = lastValueFrom(gb.events$.pipe(toArray()));
  const seen = next(ga.views$, (v) => v.members.length === 1);
  const trans = next(ga.events$, (e) => e.kind === 'transitional');
  b.kill();
  await within(bDone);
  const v = await seen;
  assert.deepEqual(v.disconnected, [b.privateName]);
  assert.equal(v.cause, 'disconnect');
  await trans;
  await a.close();
});

test('the daemon going away errors every stream with VsDisconnectedError; closed resolves to it', async () => {
  const own = await daemon('vsc9');
  const a = await connect(own, 'lost');
  const g = await a.join('lost-g');
  await next(g.views$);
  const groupErr = lastValueFrom(g.events$).then(
    () => undefined,
    (e: unknown) => e,
  );
  const connErr = lastValueFrom(a.events$).then(
    () => undefined,
    (e: unknown) => e,
  );
  const pending = g.flush().catch((e: unknown) => e);
  await own.stop();
  assert.ok((await within(groupErr)) instanceof VsDisconnectedError);
  assert.ok((await within(connErr)) instanceof VsDisconnectedError);
  assert.ok((await within(a.closed)) instanceof VsDisconnectedError);
  assert.ok((await pending) instanceof VsIllegalStateError);
  await assert.rejects(g.send(bytes('x')), VsDisconnectedError);
});

test('garbage VS frames and messages from outside the view are dropped and counted; the group goes on', async () => {
  const a = await connect(d, 'gb-a');
  const g = await a.join('garbage');
  await next(g.views$);
  const outsider = await SpreadConnection.connect({ host: '127.0.0.1', port: d.tcpPort, privateName: 'gb-x', membership: false, timeoutMs: 5000 });
  const before = a.stats().dropped;
  await outsider.multicast([
    new SpreadMessage({ groups: ['garbage'], type: -32768, data: 'not a frame', service: 'fifo' }),
    new SpreadMessage({ groups: ['garbage'], type: 5, data: 'from outside the view', service: 'agreed' }),
  ]);
  const mine = next(g.messages$);
  await g.send(bytes('still fine'));
  assert.equal(text((await mine).payload), 'still fine', 'the garbage was never delivered');
  assert.equal(a.stats().dropped, before + 2);
  await Promise.all([a.close(), outsider.close()]);
});
