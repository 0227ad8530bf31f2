// EventChannel: held events for the first consumers, ordering under re-entrant pushes, pull
// queues with pressure and relief, completion and errors after held events; pullEach pacing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observable, toArray, firstValueFrom, take } from 'rxjs';
import { EventChannel } from '../../vs-layer/channel.ts';
import { pullEach } from '../../vs-layer/operators/pull-each.ts';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('held events go to every consumer that attaches in the same turn, then live events follow', async () => {
  const ch = new EventChannel<number>({ bufferUntilSubscribed: true, highWaterMark: 100 });
  ch.push(1);
  ch.push(2);
  const a: number[] = [];
  const b: number[] = [];
  ch.observable.subscribe((x) => a.push(x));
  ch.observable.subscribe((x) => b.push(x));
  ch.push(3); // before the release: held too, in order
  assert.deepEqual(a, []);
  await turn();
  ch.push(4);
  assert.deepEqual(a, [1, 2, 3, 4]);
  assert.deepEqual(b, [1, 2, 3, 4]);
  const late: number[] = [];
  ch.observable.subscribe((x) => late.push(x));
  ch.push(5);
  assert.deepEqual(late, [5], 'hot after the release');
});

test('without holding, events with no consumer are gone', () => {
  const ch = new EventChannel<number>({ highWaterMark: 10 });
  ch.push(1);
  const got: number[] = [];
  ch.observable.subscribe((x) => got.push(x));
  ch.push(2);
  assert.deepEqual(got, [2]);
});

test('an event pushed from inside a subscriber waits until the current one reached everybody', () => {
  const ch = new EventChannel<string>({ highWaterMark: 10 });
  const seen: string[] = [];
  ch.observable.subscribe((x) => {
    seen.push(`A:${x}`);
    if (x === 'first') ch.push('second');
  });
  ch.observable.subscribe((x) => seen.push(`B:${x}`));
  ch.push('first');
  assert.deepEqual(seen, ['A:first', 'B:first', 'A:second', 'B:second']);
});

test('completion and errors come after held events, and reach late subscribers', async () => {
  const ch = new EventChannel<number>({ bufferUntilSubscribed: true, highWaterMark: 10 });
  ch.push(1);
  ch.complete();
  ch.push(2);
  assert.deepEqual(await firstValueFrom(ch.observable.pipe(toArray())), [1]);
  assert.deepEqual(await firstValueFrom(ch.observable.pipe(toArray())), [], 'ended: completes at once');
  const bad = new EventChannel<number>({ highWaterMark: 10 });
  const err = new Error('lost');
  const p = firstValueFrom(bad.observable.pipe(toArray()));
  bad.error(err);
  await assert.rejects(p, err);
  await assert.rejects(firstValueFrom(bad.observable), err);
});

test('a pull queue at its high-water mark pressures the channel; reading below it brings relief', async () => {
  let reliefs = 0;
  const ch = new EventChannel<number>({ highWaterMark: 3, onRelief: () => reliefs++ });
  const it = ch.iterate();
  await turn();
  ch.push(1);
  ch.push(2);
  assert.equal(ch.pressured, false);
  ch.push(3);
  assert.equal(ch.pressured, true);
  assert.equal(ch.bufferedCount, 3);
  const before = reliefs;
  assert.deepEqual(await it.next(), { value: 1, done: false });
  assert.equal(ch.pressured, false);
  assert.ok(reliefs > before);
  ch.push(4);
  ch.error(new Error('boom'));
  assert.deepEqual(await it.next(), { value: 2, done: false });
  assert.deepEqual(await it.next(), { value: 3, done: false });
  assert.deepEqual(await it.next(), { value: 4, done: false });
  await assert.rejects(it.next(), /boom/);
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('the held buffer pressures too; a returned iterator leaves and brings relief', async () => {
  let reliefs = 0;
  const ch = new EventChannel<number>({ bufferUntilSubscribed: true, highWaterMark: 2, onRelief: () => reliefs++ });
  ch.push(1);
  ch.push(2);
  assert.equal(ch.pressured, true, 'nobody has subscribed yet');
  const it = ch.iterate(10);
  await turn();
  assert.equal(ch.pressured, false);
  assert.equal(ch.bufferedCount, 2);
  const r = reliefs;
  await it.return!();
  assert.ok(reliefs > r);
  assert.equal(ch.bufferedCount, 0);
  ch.push(3);
  assert.deepEqual(await it.next(), { value: undefined, done: true });
});

test('pullEach runs one project at a time, emits its output, and stops the source on unsubscribe', async () => {
  const ch = new EventChannel<number>({ highWaterMark: 100 });
  const it = ch.iterate();
  let running = 0;
  let maxRunning = 0;
  const out = pullEach(it, async (x) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((r) => setTimeout(r, 2));
    running--;
    return x * 10;
  });
  const got = firstValueFrom(out.pipe(take(3), toArray()));
  for (let i = 1; i <= 5; i++) ch.push(i);
  assert.deepEqual(await got, [10, 20, 30]);
  assert.equal(maxRunning, 1);
  await turn();
  ch.push(6);
  assert.equal(ch.bufferedCount, 0, 'the iterator was returned: its queue is gone');
});

test('pullEach waits for an Observable project to complete, and errors with the source', async () => {
  const gen = async function* (): AsyncGenerator<number> {
    yield 1;
    yield 2;
    throw new Error('source failed');
  };
  const seen: number[] = [];
  const out = pullEach(gen(), (x) =>
    new Observable<number>((s) => {
      setTimeout(() => {
        s.next(x);
        s.next(x + 100);
        s.complete();
      }, 1);
    }),
  );
  await assert.rejects(
    new Promise<void>((resolve, reject) => out.subscribe({ next: (v) => seen.push(v), error: reject, complete: resolve })),
    /source failed/,
  );
  assert.deepEqual(seen, [1, 101, 2, 102]);
});
