// The client-level EVS checker: a hand-made correct run passes, and each deliberately broken copy
// fails with the property it breaks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkClientLogs, mergeOrders } from './client-evs.ts';
import { messageKey, payloadFor, readPayload, type ClientEvent, type ClientLog, type ClientService, type ViewReason } from '../support/evs-client-log.ts';

const G = 'g';
let clock = 1000;

class Log {
  readonly log: ClientLog;
  private seq = 0;
  constructor(user: string, daemon: string, incarnation = 0) {
    this.log = { user, privateName: `#${user}#${daemon}`, incarnation, connectedAt: clock++, events: [] };
  }
  get name(): string {
    return this.log.privateName;
  }
  private push(e: ClientEvent): this {
    this.log.events.push(e);
    return this;
  }
  view(groupId: string, members: Log[], reason: ViewReason, vsSets: Log[][] = [members], myVsSet = 0): this {
    return this.push({ kind: 'view', t: clock++, group: G, groupId, members: members.map((m) => m.name), vsSets: vsSets.map((s) => s.map((m) => m.name)), myVsSet, reason });
  }
  trans(groupId: string): this {
    return this.push({ kind: 'transition', t: clock++, group: G, groupId });
  }
  send(service: ClientService): string {
    const key = messageKey(this.log.user, this.log.incarnation, this.seq++);
    this.push({ kind: 'send', t: clock++, key, service, size: 60 });
    return key;
  }
  data(from: Log, key: string, service: ClientService): this {
    const body = payloadFor(key, 60);
    return this.push({ kind: 'data', t: clock++, sender: from.name, groups: [G], service, key, size: body.length, payloadOk: readPayload(body).ok });
  }
  lost(): this {
    return this.push({ kind: 'lost', t: clock++, reason: 'daemon killed' });
  }
}

/**
 * Three clients a, b, c joining one by one; c's daemon crashes (a and b get a transitional signal,
 * c's last Safe message in the transitional configuration, then a network view); c comes back and
 * merges (a network view with two vs sets, no signal).
 */
function goodRun(): { logs: ClientLog[]; keys: Record<string, string>; a: Log; b: Log; c: Log; c2: Log } {
  const a = new Log('a', 'd1');
  const b = new Log('b', 'd2');
  const c = new Log('c', 'd3');
  const c2 = new Log('c', 'd3', 1);
  a.view('1:1:1', [a], 'JOIN');
  a.view('1:1:2', [a, b], 'JOIN', [[b]]);
  b.view('1:1:2', [a, b], 'JOIN', [[b]]);
  for (const x of [a, b, c]) x.view('1:1:3', [a, b, c], 'JOIN', [[c]]);
  const k: Record<string, string> = {};
  k.a0 = a.send('AGREED');
  k.b0 = b.send('SAFE');
  k.c0 = c.send('AGREED');
  k.c1 = c.send('SAFE');
  for (const x of [a, b, c]) x.data(a, k.a0, 'AGREED').data(b, k.b0, 'SAFE').data(c, k.c0, 'AGREED');
  c.lost();
  for (const x of [a, b]) x.trans('1:1:3').data(c, k.c1, 'SAFE').view('2:5:1', [a, b], 'NETWORK');
  k.a1 = a.send('AGREED');
  k.b1 = b.send('SAFE');
  for (const x of [a, b]) x.data(a, k.a1, 'AGREED').data(b, k.b1, 'SAFE');
  c2.view('3:7:1', [c2], 'JOIN');
  a.view('2:9:1', [a, b, c2], 'NETWORK', [[a, b], [c2]], 0);
  b.view('2:9:1', [a, b, c2], 'NETWORK', [[a, b], [c2]], 0);
  c2.view('2:9:1', [a, b, c2], 'NETWORK', [[a, b], [c2]], 1);
  k.c20 = c2.send('AGREED');
  k.a2 = a.send('SAFE');
  for (const x of [a, b, c2]) x.data(c2, k.c20, 'AGREED').data(a, k.a2, 'SAFE');
  return { logs: [a.log, b.log, c.log, c2.log], keys: k, a, b, c, c2 };
}

function violations(logs: ClientLog[]): string {
  return checkClientLogs(logs, { group: G }).violations.join('\n');
}

/** Index of the data event for `key` in a log. */
function dataAt(l: Log, key: string): number {
  const i = l.log.events.findIndex((e) => e.kind === 'data' && e.key === key);
  assert.ok(i >= 0, `${l.name} has ${key}`);
  return i;
}

describe('client-level EVS checker', () => {
  test('the correct run passes', () => {
    const r = checkClientLogs(goodRun().logs, { group: G });
    assert.deepEqual(r.violations, [], r.legend);
    assert.match(r.legend, /d0 = #a#d1/);
  });

  test('one Agreed order: two messages the other way round at one client', () => {
    const { logs, b, keys } = goodRun();
    const i = dataAt(b, keys.a0!);
    const j = dataAt(b, keys.b0!);
    const ev = b.log.events;
    [ev[i], ev[j]] = [ev[j]!, ev[i]!];
    assert.match(violations(logs), /delivered before|conflicting orders/);
  });

  test('members that move together: one misses a message delivered in the transitional configuration', () => {
    const { logs, b, keys } = goodRun();
    b.log.events.splice(dataAt(b, keys.c1!), 1);
    assert.match(violations(logs), /virtual synchrony/);
  });

  test('no duplicates', () => {
    const { logs, a, keys } = goodRun();
    const i = dataAt(a, keys.a1!);
    a.log.events.splice(i + 1, 0, a.log.events[i]!);
    assert.match(violations(logs), /twice/);
  });

  test('same view everywhere: a message delivered one view late', () => {
    const { logs, b, keys } = goodRun();
    const [m] = b.log.events.splice(dataAt(b, keys.a1!), 1);
    const v = b.log.events.findIndex((e) => e.kind === 'view' && e.groupId === '2:9:1');
    b.log.events.splice(v + 1, 0, m!);
    assert.match(violations(logs), /of ring 2:5:1 while in 2:9:1/);
  });

  test('Safe: delivered in the regular view by one member, never by those that stayed', () => {
    const { logs, a, b, c, keys } = goodRun();
    a.log.events.splice(dataAt(a, keys.c1!), 1);
    b.log.events.splice(dataAt(b, keys.c1!), 1);
    // c delivered its Safe message in the regular view before its daemon died
    c.log.events.splice(c.log.events.findIndex((e) => e.kind === 'lost'), 0, { kind: 'data', t: clock++, sender: c.name, groups: [G], service: 'SAFE', key: keys.c1!, size: 60, payloadOk: true });
    assert.match(violations(logs), /Safe .* never did/);
  });

  test('nothing lost while connected: a member never gets a message of its view', () => {
    const { logs, c2, keys } = goodRun();
    c2.log.events.splice(dataAt(c2, keys.a2!), 1);
    assert.match(violations(logs), /never delivered/);
  });

  test('self delivery: a sender that stays connected never gets its own message', () => {
    const { logs, a, b, c2, keys } = goodRun();
    for (const x of [a, b, c2]) x.log.events.splice(dataAt(x, keys.a2!), 1);
    assert.match(violations(logs), /never delivered/);
  });

  test('FIFO: a sender\'s two messages the other way round at every receiver', () => {
    const { logs, a, b, c2, keys } = goodRun();
    const k3 = a.send('AGREED');
    for (const x of [b, c2]) x.data(a, k3, 'AGREED').data(a, keys.a2!, 'SAFE');
    for (const x of [b, c2]) x.log.events.splice(dataAt(x, keys.a2!), 1);
    a.data(a, k3, 'AGREED');
    assert.match(violations(logs), /before|conflicting/);
  });

  test('views in one order: the same view with other members', () => {
    const { logs, b, a } = goodRun();
    const i = b.log.events.findIndex((e) => e.kind === 'view' && e.groupId === '2:5:1');
    b.log.events[i] = { kind: 'view', t: clock++, group: G, groupId: '2:5:1', members: [a.name, b.name, '#c#d3'], vsSets: [[a.name, b.name]], myVsSet: 0, reason: 'NETWORK' };
    assert.match(violations(logs), /regular 2:5:1 is \[/);
  });

  test('a bad payload and a vs set without me are reported', () => {
    const { logs, b, keys } = goodRun();
    const i = dataAt(b, keys.a1!);
    b.log.events[i] = { ...(b.log.events[i] as Extract<ClientEvent, { kind: 'data' }>), payloadOk: false };
    assert.match(violations(logs), /other bytes/);
    const j = b.log.events.findIndex((e) => e.kind === 'view' && e.groupId === '2:5:1');
    b.log.events[j] = { ...(b.log.events[j] as Extract<ClientEvent, { kind: 'view' }>), myVsSet: 3 };
    assert.match(violations(logs), /does not hold me/);
  });
});

test('a long run (12 000 messages in one view) is checked without exhausting the stack', () => {
  const a = new Log('la', 'd1');
  const b = new Log('lb', 'd2');
  a.view('7:1:1', [a], 'JOIN');
  for (const x of [a, b]) x.view('7:1:2', [a, b], 'JOIN', [[b]]);
  const keys: Array<[Log, string]> = [];
  for (let i = 0; i < 6000; i++) for (const x of [a, b]) keys.push([x, x.send('AGREED')]);
  for (const x of [a, b]) for (const [from, k] of keys) x.data(from, k, 'AGREED');
  assert.deepEqual(checkClientLogs([a.log, b.log], { group: G }).violations, []);
});

describe('mergeOrders', () => {
  test('merges partial orders and puts the early keys first among the ready ones', () => {
    const r = mergeOrders([['a', 'b', 'c'], ['a', 'c'], ['t1'], ['x', 't2']], (k) => !k.startsWith('t'));
    const order = [...r.entries()].sort((p, q) => p[1] - q[1]).map(([k]) => k);
    assert.deepEqual(order, ['a', 'b', 'c', 'x', 't1', 't2']);
  });

  test('a cycle still ranks every key', () => {
    const r = mergeOrders([['a', 'b'], ['b', 'a']], () => true);
    assert.equal(r.size, 2);
  });
});
