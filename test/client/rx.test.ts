// RxJS streams over SpreadConnection (client/rx.ts) against a real daemon: typed membership
// events, data messages, one shared reader, nothing lost across resubscription, completion on
// close and typed errors when the daemon goes away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, take, timeout, toArray } from 'rxjs';
import type { RunningDaemon } from '../../daemon/index.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { SpreadConnection } from '../../client/api/spread-connection.ts';
import { SpreadMessage } from '../../client/api/spread-message.ts';
import { ConnectionClosedError, DeliveryModeError } from '../../client/errors.ts';
import { membership$, messages$, spreadMessages$, type MembershipEvent } from '../../client/rx.ts';

let d: RunningDaemon;
before(async () => {
  d = await startTestDaemon({ name: 'rx1' });
});
after(async () => {
  await d?.stop();
});

const connect = (privateName: string, daemon = d): Promise<SpreadConnection> =>
  SpreadConnection.connect({ host: '127.0.0.1', port: daemon.tcpPort, privateName, timeoutMs: 5000 });
const T = 10_000;

test('membership$: typed join, leave and disconnect events; self-leave', async () => {
  const a = await connect('rx-a');
  const b = await connect('rx-b');
  const events: MembershipEvent[] = [];
  membership$(a, { group: 'rxg' }).subscribe((e) => events.push(e));
  await a.join('rxg');
  await a.join('other'); // filtered out by the group option
  await b.join('rxg');
  const end = Date.now() + T;
  while (events.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  const firstTwo = [...events];
  const [j1, j2] = firstTwo;
  assert.ok(j1?.kind === 'regular' && j2?.kind === 'regular');
  assert.equal(j1.cause, 'join');
  assert.equal(j1.changed, a.privateGroup.name);
  assert.deepEqual(j1.members, [a.privateGroup.name]);
  assert.equal(j1.myIndex, 0);
  assert.deepEqual(j2.members, [a.privateGroup.name, b.privateGroup.name]);
  assert.equal(j2.changed, b.privateGroup.name);
  assert.deepEqual(j2.myVsSet, [b.privateGroup.name], 'a join carries the joiner as the one vs set');
  assert.ok(!j1.groupId.equals(j2.groupId));
  assert.ok(events.every((e) => e.group === 'rxg'));
  b.kill();
  const gone = await firstValueFrom(membership$(a, { group: 'rxg' }).pipe(timeout(T)));
  assert.ok(gone.kind === 'regular' && gone.cause === 'disconnect' && gone.changed === b.privateGroup.name);
  const self = firstValueFrom(membership$(a, { group: 'rxg' }).pipe(timeout(T)));
  await a.leave('rxg');
  assert.equal((await self).kind, 'selfLeave');
  await a.close();
});

test('messages$: data only, in order, filtered by group; both streams share one reader', async () => {
  const a = await connect('rx-m');
  await a.join('m1');
  await a.join('m2');
  const all = firstValueFrom(spreadMessages$(a).pipe(take(6), toArray(), timeout(T)));
  const onlyM1 = firstValueFrom(messages$(a, { group: 'm1' }).pipe(take(2), toArray(), timeout(T)));
  const data = firstValueFrom(messages$(a).pipe(take(4), toArray(), timeout(T)));
  await a.multicast([
    new SpreadMessage({ groups: ['m1'], data: '1', service: 'agreed' }),
    new SpreadMessage({ groups: ['m2'], data: '2', service: 'fifo' }),
    new SpreadMessage({ groups: ['m1'], data: '3', service: 'safe' }),
    new SpreadMessage({ groups: ['m2'], data: '4', service: 'reliable' }),
  ]);
  assert.deepEqual((await data).map((m) => m.text), ['1', '2', '3', '4']);
  assert.deepEqual((await onlyM1).map((m) => m.text), ['1', '3']);
  const kinds = (await all).map((m) => (m.isMembership() ? 'memb' : m.text));
  assert.deepEqual(kinds, ['memb', 'memb', '1', '2', '3', '4'], 'every stream saw each message once, in arrival order');
  await a.close();
});

test('nothing is lost between subscriptions: messages wait in the connection for the next subscriber', async () => {
  const a = await connect('rx-q');
  await a.join('q');
  await firstValueFrom(membership$(a).pipe(take(1), timeout(T)));
  // Nobody subscribed now.
  await a.multicast([1, 2, 3].map((i) => new SpreadMessage({ groups: ['q'], data: String(i) })));
  await new Promise((r) => setTimeout(r, 100));
  const got = await firstValueFrom(messages$(a).pipe(take(3), toArray(), timeout(T)));
  assert.deepEqual(got.map((m) => m.text), ['1', '2', '3']);
  // Unsubscribing while the reader waits keeps what arrives next for the next subscriber.
  const sub = messages$(a).subscribe();
  sub.unsubscribe();
  await a.multicast(new SpreadMessage({ groups: ['q'], data: 'after' }));
  const later = await firstValueFrom(messages$(a).pipe(timeout(T)));
  assert.equal(later.text, 'after');
  await a.close();
});

test('streams complete after close() and error with the typed error when the daemon goes away', async () => {
  const a = await connect('rx-c');
  await a.join('c');
  const done = lastValueFrom(spreadMessages$(a).pipe(toArray()));
  await firstValueFrom(membership$(a).pipe(timeout(T)));
  await a.close();
  assert.ok((await done).length >= 1);

  const own = await startTestDaemon({ name: 'rx9' });
  const b = await connect('rx-l', own);
  await b.join('l');
  const failed = lastValueFrom(messages$(b)).then(
    () => undefined,
    (e: unknown) => e,
  );
  await new Promise((r) => setTimeout(r, 50));
  await own.stop();
  assert.ok((await failed) instanceof ConnectionClosedError);
});

test('a connection with listeners cannot also be read as a stream', async () => {
  const a = await connect('rx-l2');
  a.addListener(() => {});
  await assert.rejects(firstValueFrom(messages$(a).pipe(timeout(T))), DeliveryModeError);
  await a.close();
});
