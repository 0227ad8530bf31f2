// End to end, class API against our daemon: memberships through MembershipInfo, listeners,
// iteration, every service, and the closed promise when the daemon goes away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SpreadConnection, SpreadMessage, MessageFactory, ConnectionClosedError, type SpreadConnectionOptions } from '../../client/index.ts';
import { startRealDaemon, type TestDaemon } from './helpers/real-daemon.ts';

let d: TestDaemon;
before(async () => {
  d = await startRealDaemon();
});
after(async () => {
  await d?.stop();
});

const within = <T>(p: Promise<T>, ms = 10_000): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);

const connect = (o: SpreadConnectionOptions): Promise<SpreadConnection> => SpreadConnection.connect({ timeoutMs: 5000, ...o });

test('memberships with reasons through MembershipInfo, over TCP and Unix', async () => {
  const alice = await connect({ spread: d.tcpName, privateName: 'alice' });
  const bob = await connect({ path: d.unixPath, privateName: 'bob' });
  const ga = await alice.join('chat');
  const first = (await within(alice.receive())).getMembershipInfo();
  assert.ok(first.isCausedByJoin());
  assert.equal(first.getJoined()?.name, '#alice#sp1');
  const gb = await bob.join('chat');
  const [ja, jb] = await within(Promise.all([alice.receive(), bob.receive()]));
  assert.equal(ja.type, 0);
  assert.equal(jb.type, 1);
  const ia = ja.getMembershipInfo();
  const ib = jb.getMembershipInfo();
  assert.deepEqual(ia.getMembers().map(String), ['#alice#sp1', '#bob#sp1']);
  assert.ok(ia.getGroupID()?.equals(ib.getGroupID()));
  assert.ok(!ia.getGroupID()?.equals(first.getGroupID()));
  assert.equal(ib.getJoined()?.name, '#bob#sp1');
  assert.deepEqual(ib.getMyVirtualSynchronySet()?.members.map(String), ['#bob#sp1']);

  await gb.leave();
  const selfLeave = (await within(bob.receive())).getMembershipInfo();
  assert.ok(selfLeave.isSelfLeave());
  assert.equal(selfLeave.getGroup().name, 'chat');
  const left = (await within(alice.receive())).getMembershipInfo();
  assert.ok(left.isCausedByLeave());
  assert.equal(left.getLeft()?.name, '#bob#sp1');

  await bob.join('chat');
  await within(Promise.all([alice.receive(), bob.receive()]));
  await bob.close();
  assert.equal(await bob.closed, undefined);
  const gone = (await within(alice.receive())).getMembershipInfo();
  assert.ok(gone.isCausedByDisconnect());
  assert.equal(gone.getDisconnected()?.name, '#bob#sp1');
  await ga.leave();
  assert.ok((await within(alice.receive())).getMembershipInfo().isSelfLeave());
  await alice.close();
});

test('listeners on one connection, iteration on another, every service', async () => {
  const sender = await connect({ spread: d.tcpName, privateName: 'snd', membership: false });
  const lis = await connect({ path: d.unixPath, privateName: 'lis' });
  const itr = await connect({ spread: d.tcpName, privateName: 'itr', membership: false });
  const regular: SpreadMessage[] = [];
  let memberships = 0;
  lis.addListener({
    regularMessageReceived: (m) => void regular.push(m),
    membershipMessageReceived: () => void memberships++,
  });
  await lis.join('svc');
  await itr.join('svc');
  await new Promise((r) => setTimeout(r, 100));
  const factory = new MessageFactory(new SpreadMessage({ groups: ['svc'], type: 42 }));
  const services = ['unreliable', 'reliable', 'fifo', 'causal', 'agreed', 'safe'] as const;
  const msgs = services.map((s) => {
    const m = factory.createMessage().setObject({ s });
    return s === 'unreliable' ? m.setUnreliable() : s === 'reliable' ? m.setReliable() : s === 'fifo' ? m.setFifo() : s === 'causal' ? m.setCausal() : s === 'agreed' ? m.setAgreed() : m.setSafe();
  });
  await sender.multicast(msgs);
  const got: string[] = [];
  for await (const m of itr) {
    assert.ok(m.isRegular());
    assert.equal(m.type, 42);
    assert.equal(m.sender?.name, '#snd#sp1');
    got.push((m.getObject() as { s: string }).s);
    const expected = services[got.length - 1]!;
    const checks = { unreliable: m.isUnreliable(), reliable: m.isReliable(), fifo: m.isFifo(), causal: m.isCausal(), agreed: m.isAgreed(), safe: m.isSafe() };
    assert.ok(checks[expected], `service of ${expected}`);
    if (got.length === services.length) break;
  }
  assert.deepEqual(got, [...services]);
  await within(
    (async () => {
      while (regular.length < services.length) await new Promise((r) => setTimeout(r, 10));
    })(),
  );
  assert.deepEqual(
    regular.map((m) => (m.getObject() as { s: string }).s),
    [...services],
  );
  assert.ok(memberships >= 2, 'join memberships reached the membership callback');
  for (const c of [sender, lis, itr]) await c.close();
});

test('the daemon stopping resolves closed with ConnectionClosedError and ends iteration with it', async () => {
  const own = await startRealDaemon({ name: 'sp9' });
  const conn = await connect({ spread: own.tcpName, privateName: 'victim' });
  await conn.join('x');
  const it = conn.messages();
  assert.ok((await within(it.next())).value?.isMembership());
  await own.stop();
  await assert.rejects(within(it.next()), ConnectionClosedError);
  const reason = await within(conn.closed);
  assert.ok(reason instanceof ConnectionClosedError);
  await assert.rejects(conn.multicast(new SpreadMessage({ groups: ['x'], data: 'late' })), ConnectionClosedError);
});
