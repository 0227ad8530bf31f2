// The class API: delivery modes, listeners, AbortSignal, the closed promise, typed errors, and
// the message, group and factory classes.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  SpreadConnection,
  SpreadMessage,
  SpreadGroup,
  MessageFactory,
  GroupID,
  ConnectionClosedError,
  DeliveryModeError,
  IllegalGroupError,
  IllegalServiceError,
  MessageTooLongError,
  ListenerError,
  SAFE_MESS,
  SELF_DISCARD,
  FIFO_MESS,
  type AdvancedMessageListener,
} from '../../client/index.ts';
import { startFakeDaemon, type FakeDaemon, type FakeSession } from './helpers/fake-daemon.ts';
import { stepDump } from '../support/spec-dumps.ts';
import { echoScript } from './helpers/echo-script.ts';

const daemons: FakeDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.close();
});

const echo = echoScript();

async function connect(name = 'alice', script: (s: FakeSession) => Promise<void> = echo): Promise<{ conn: SpreadConnection; daemon: FakeDaemon; session: FakeSession }> {
  const daemon = await startFakeDaemon({ script });
  daemons.push(daemon);
  const conn = await SpreadConnection.connect({ spread: daemon.spreadName, privateName: name });
  return { conn, daemon, session: await daemon.nextSession() };
}

const msg = (text: string, group = 'g'): SpreadMessage => new SpreadMessage({ service: 'fifo', groups: [group], data: text });

describe('delivery modes', () => {
  test('listeners and receive()/iteration do not mix, with clear errors', async () => {
    const { conn } = await connect();
    const got: string[] = [];
    const listener = (m: SpreadMessage): void => {
      got.push(m.text);
    };
    conn.addListener(listener);
    await assert.rejects(conn.receive(), DeliveryModeError);
    assert.throws(() => conn.messages(), DeliveryModeError);
    await conn.multicast(msg('one'));
    while (got.length < 1) await new Promise((r) => setTimeout(r, 5));
    conn.removeListener(listener);

    // With no listener left, receive() works again; messages wait for it.
    await conn.multicast(msg('two'));
    assert.equal((await conn.receive()).text, 'two');
    assert.deepEqual(got, ['one']);

    const pending = conn.receive();
    assert.throws(() => conn.addListener(listener), DeliveryModeError);
    await conn.multicast(msg('three'));
    assert.equal((await pending).text, 'three');

    const it = conn.messages();
    assert.throws(() => conn.addListener(listener), DeliveryModeError);
    await it.return?.();
    conn.addListener(listener);
    await conn.multicast(msg('four'));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, ['one', 'four']);
    await conn.close();
  });

  test('advanced listeners get regular, membership and rejected messages on their own callbacks, in order', async () => {
    const rejectFrame = Buffer.alloc(48 + 4 + 64 + 5);
    rejectFrame.writeUInt32LE(0x80400080, 0);
    rejectFrame.write('#alice#sp1', 4, 'latin1');
    rejectFrame.writeInt32LE(2, 36);
    rejectFrame.writeUInt32LE(0x80000080, 40);
    rejectFrame.writeInt32LE(5, 44);
    rejectFrame.writeUInt32LE(0x80000090, 48);
    rejectFrame.write('chat', 52, 'latin1');
    rejectFrame.write('#alice#sp1', 84, 'latin1');
    rejectFrame.write('hello', 116, 'latin1');
    const { conn, session } = await connect('alice', async () => {});
    const events: string[] = [];
    const slowRegular: AdvancedMessageListener = {
      regularMessageReceived: async (m) => {
        await new Promise((r) => setTimeout(r, 20));
        events.push(`regular:${m.text}`);
      },
      membershipMessageReceived: (m) => {
        events.push(`membership:${m.getMembershipInfo().getGroup()}`);
      },
      rejectedMessageReceived: (m) => {
        events.push(`rejected:0x${m.serviceType.toString(16)}`);
      },
    };
    const basic: string[] = [];
    conn.addListener(slowRegular).addListener({ messageReceived: (m) => void basic.push(m.isMembership() ? 'M' : m.isReject() ? 'R' : 'D') });
    session.send(stepDump(8), stepDump(6), rejectFrame, stepDump(8));
    while (basic.length < 4) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(events, ['regular:hello', 'membership:chat', 'rejected:0x400010', 'regular:hello']);
    assert.deepEqual(basic, ['D', 'M', 'R', 'D']);
    conn.kill();
  });

  test('a throwing listener closes the connection with a ListenerError, unless onListenerError is given', async () => {
    const { conn } = await connect();
    conn.addListener(() => {
      throw new Error('boom');
    });
    await conn.multicast(msg('x'));
    const reason = await conn.closed;
    assert.ok(reason instanceof ListenerError);
    assert.equal((reason.cause as Error).message, 'boom');

    const daemon = await startFakeDaemon({ script: echo });
    daemons.push(daemon);
    const seen: unknown[] = [];
    const conn2 = await SpreadConnection.connect({ spread: daemon.spreadName, onListenerError: (e) => seen.push(e) });
    let calls = 0;
    conn2.addListener(() => {
      calls++;
      throw new Error(`boom ${calls}`);
    });
    await conn2.multicast([msg('a'), msg('b')]);
    while (calls < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(seen.length, 2);
    assert.ok(conn2.isOpen);
    await conn2.close();
  });
});

describe('receive, iteration, closed', () => {
  test('an aborted receive() rejects with AbortError and loses nothing', async () => {
    const { conn } = await connect();
    const ac = new AbortController();
    const p = conn.receive({ signal: ac.signal });
    ac.abort('enough');
    await assert.rejects(p, (e: unknown) => e instanceof Error && e.name === 'AbortError' && e.cause === 'enough');
    await assert.rejects(conn.receive({ signal: AbortSignal.abort() }), { name: 'AbortError' });
    await conn.multicast(msg('kept'));
    assert.equal((await conn.receive()).text, 'kept');
    await conn.close();
  });

  test('iteration yields messages in order and ends after close(); closed resolves to void', async () => {
    const { conn } = await connect();
    await conn.multicast([msg('a'), msg('b'), msg('c')]);
    const seen: string[] = [];
    for await (const m of conn) {
      seen.push(m.text);
      if (seen.length === 3) void conn.close();
    }
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(await conn.closed, undefined);
    assert.equal(conn.isOpen, false);
    await assert.rejects(conn.multicast(msg('late')), ConnectionClosedError);
    await assert.rejects(conn.receive(), ConnectionClosedError);
  });

  test('the daemon going away: closed resolves to ConnectionClosedError, iteration throws it', async () => {
    const { conn, session } = await connect('alice', async () => {});
    session.send(stepDump(8));
    setTimeout(() => session.end(), 30);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of conn) seen.push(m.text);
      })(),
      ConnectionClosedError,
    );
    assert.deepEqual(seen, ['hello']);
    const reason = await conn.closed;
    assert.ok(reason instanceof ConnectionClosedError);
    assert.match(reason.message, /closed by the daemon/);
    await assert.rejects(conn.join('g'), ConnectionClosedError);
  });

  test('poll() tells whether a message is waiting', async () => {
    const { conn } = await connect();
    assert.equal(conn.poll(), false);
    await conn.multicast(msg('x'));
    while (!conn.poll()) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await conn.receive()).text, 'x');
    assert.equal(conn.poll(), false);
    await conn.close();
  });
});

describe('groups, messages and errors', () => {
  test('join returns a SpreadGroup whose leave() sends LEAVE; memberships arrive', async () => {
    const { conn, session } = await connect();
    void session;
    const g = await conn.join('room');
    assert.ok(g.isJoined);
    const m = await conn.receive();
    const info = m.getMembershipInfo();
    assert.ok(info.isCausedByJoin());
    assert.equal(m.type, 0);
    assert.ok(info.getGroupID()?.equals(new GroupID(7, 8, 1)));
    await g.leave();
    assert.equal(g.isJoined, false);
    const left = await conn.receive();
    assert.ok(left.getMembershipInfo().isSelfLeave());
    await assert.rejects(new SpreadGroup('other').leave(), { name: 'IllegalStateError' });
    await conn.close();
  });

  test('typed local errors, nothing sent', async () => {
    const { conn, session } = await connect('alice', async () => {});
    await assert.rejects(conn.join('a b'), (e: unknown) => e instanceof IllegalGroupError && e.code === -14);
    await assert.rejects(conn.join(''), IllegalGroupError);
    await assert.rejects(conn.multicast(msg('x', 'y'.repeat(32))), IllegalGroupError);
    await assert.rejects(conn.multicast(new SpreadMessage({ groups: ['g'], data: new Uint8Array(143152 - 32 + 1) })), (e: unknown) => e instanceof MessageTooLongError && e.code === -17);
    const many = new SpreadMessage({ data: 'x' });
    for (let i = 0; i < 101; i++) many.addGroup(`g${i}`);
    await assert.rejects(conn.multicast(many), MessageTooLongError);
    assert.throws(() => new SpreadMessage().setServiceType(SAFE_MESS | FIFO_MESS), (e: unknown) => e instanceof IllegalServiceError && e.code === -12);
    assert.throws(() => new SpreadMessage().setServiceType(0), IllegalServiceError);
    // A batch with one bad message sends none of it.
    await assert.rejects(conn.multicast([msg('ok'), msg('bad', '')]), IllegalGroupError);
    await conn.multicast(msg('fine'));
    const f = await session.nextFrame();
    assert.equal(f?.bytes.subarray(80).toString(), 'fine');
    assert.equal(Buffer.concat(session.afterHandshake).length, f?.bytes.length);
    conn.kill();
  });

  test('SpreadMessage services, self discard, objects, clone and MessageFactory', async () => {
    const m = new SpreadMessage();
    assert.ok(m.isOutgoing() && m.isReliable());
    m.setSelfDiscard().setSafe();
    assert.equal(m.serviceType, SAFE_MESS | SELF_DISCARD);
    assert.ok(m.isSafe() && m.isSelfDiscard());
    m.setSelfDiscard(false);
    assert.equal(m.serviceType, SAFE_MESS);
    m.setType(0xffff);
    assert.equal(m.type, -1);
    assert.throws(() => m.setType(0x10000), RangeError);
    m.setObject({ a: [1, 2], b: 'x' });
    assert.deepEqual(m.getObject(), { a: [1, 2], b: 'x' });

    const factory = new MessageFactory(new SpreadMessage({ service: 'agreed', groups: ['g'], type: 5 }));
    const c1 = factory.createMessage().setObject({ n: 1 });
    const c2 = factory.createMessage().addGroup('h');
    assert.deepEqual(c1.groupNames, ['g']);
    assert.deepEqual(c2.groupNames, ['g', 'h']);
    assert.equal(c2.data.length, 0);
    assert.ok(c1.isAgreed() && c1.type === 5);

    const g = new SpreadGroup('room');
    assert.ok(g.equals('room') && g.equals(new SpreadGroup('room')) && !g.equals('other'));
    assert.equal(`${g}`, 'room');

    const { conn } = await connect();
    await conn.multicast(c1);
    const back = await conn.receive();
    assert.deepEqual(back.getObject(), { n: 1 });
    assert.ok(back.isAgreed() && back.type === 5 && back.isIncoming());
    assert.equal(back.sender?.name, '#alice#sp1');
    const again = back.clone();
    assert.ok(again.isOutgoing() && again.isAgreed());
    assert.deepEqual(again.groupNames, ['g']);
    await conn.close();
  });
});
