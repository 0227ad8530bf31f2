// The group layer across daemon membership changes (design 7.6): transitional signals, network
// views with vs sets, new group ids, and the GROUPS exchange that makes merged daemons agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CAUSED_BY_NETWORK, REG_MEMB_MESS, TRANSITION_MESS, readGroupId, readHeader, readGroupNames, readMembershipBody,
} from '../../../client/wire/index.ts';
import { GroupTable, type GroupActions, type RingId } from '../../../daemon/groups/group-table.ts';
import { decodeGroupsMessage, encodeGroupsMessage, type GroupsMessage } from '../../../daemon/groups/groups-message.ts';

const ORDER: Record<string, number> = { d1: 0, d2: 1, d3: 2 };

interface Client {
  readonly name: string;
  readonly got: Buffer[];
}

function table(daemon: string, ring: RingId, together: string[] = ['d1', 'd2', 'd3']): GroupTable<Client> {
  return new GroupTable<Client>(
    { selfDaemon: daemon, daemonOrder: (d) => ORDER[d] ?? 99, wantsMembership: () => true, initialSynced: together },
    ring,
  );
}

function deliverAll(actions: GroupActions<Client>): void {
  for (const n of actions.notices) n.to.got.push(n.bytes);
}

function decoded(b: Buffer) {
  const h = readHeader(b);
  if ((h.type & TRANSITION_MESS) !== 0) return { kind: 'trans' as const, group: h.sender, groupId: readGroupId(b, 48, true) };
  const body = readMembershipBody(b, b.length - h.dataLen, h.dataLen, true)!;
  return { kind: 'view' as const, type: h.type, group: h.sender, members: readGroupNames(b, h), ...body };
}

const R0: RingId = { procId: 1, time: 10 };

/** Three daemons that joined clients a@d1, b@d2, c@d3 to group g in one configuration. */
function threeTogether() {
  const tables = { d1: table('d1', R0), d2: table('d2', R0), d3: table('d3', R0) };
  const clients = { a: { name: '#a#d1', got: [] as Buffer[] }, b: { name: '#b#d2', got: [] as Buffer[] }, c: { name: '#c#d3', got: [] as Buffer[] } };
  const local = { d1: clients.a, d2: clients.b, d3: clients.c };
  for (const c of Object.values(clients)) {
    const daemon = c.name.slice(-2) as 'd1' | 'd2' | 'd3';
    for (const [d, t] of Object.entries(tables)) {
      for (const n of t.join(c.name, 'g', d === daemon ? local[d as 'd1'] : undefined)) n.to.got.push(n.bytes);
    }
  }
  for (const c of Object.values(clients)) c.got.length = 0;
  return { tables, clients };
}

test('a lost daemon: transitional signal with the old id, then one network view with a new id', () => {
  const { tables, clients } = threeTogether();
  const oldId = tables.d1.groupId('g')!;
  const T: RingId = { procId: 1, time: 11 };
  const C: RingId = { procId: 1, time: 12 };
  for (const d of ['d1', 'd2'] as const) deliverAll(tables[d].transitional(T, ['d1', 'd2']));
  for (const d of ['d1', 'd2'] as const) deliverAll(tables[d].regular(C, ['d1', 'd2']));
  for (const c of [clients.a, clients.b]) {
    const [first, second, ...rest] = c.got.map(decoded);
    assert.equal(rest.length, 0);
    assert.deepEqual(first, { kind: 'trans', group: 'g', groupId: oldId });
    assert.equal(second!.kind, 'view');
    if (second!.kind !== 'view') return;
    assert.equal(second.type, REG_MEMB_MESS | CAUSED_BY_NETWORK);
    assert.deepEqual(second.members, ['#a#d1', '#b#d2']);
    assert.deepEqual(second.vsSets, [['#a#d1', '#b#d2']]);
    assert.deepEqual(second.groupId, { ...C, index: 1 });
  }
  assert.equal(tables.d1.digest(), tables.d2.digest());
  assert.equal(tables.d1.state, 'GOP');
});

test('token loss only (nobody lost, nobody new): clients see nothing and ids stay', () => {
  const { tables, clients } = threeTogether();
  const before = tables.d1.groupId('g');
  for (const t of Object.values(tables)) deliverAll(t.transitional({ procId: 1, time: 11 }, ['d1', 'd2', 'd3']));
  for (const t of Object.values(tables)) deliverAll(t.regular({ procId: 1, time: 12 }, ['d1', 'd2', 'd3']));
  for (const c of Object.values(clients)) assert.equal(c.got.length, 0);
  assert.deepEqual(tables.d1.groupId('g'), before);
});

test('a merge: GROUPS exchange, identical tables, one network view with a vs set per side', () => {
  // d1,d2 together with a,b in g; d3 alone with c in g and d in h
  const A: RingId = { procId: 1, time: 20 };
  const B: RingId = { procId: 3, time: 21 };
  const d1 = table('d1', A, ['d1', 'd2']);
  const d2 = table('d2', A, ['d1', 'd2']);
  const d3 = table('d3', B, ['d3']);
  const a = { name: '#a#d1', got: [] as Buffer[] };
  const b = { name: '#b#d2', got: [] as Buffer[] };
  const c = { name: '#c#d3', got: [] as Buffer[] };
  const dd = { name: '#d#d3', got: [] as Buffer[] };
  for (const t of [d1, d2]) {
    t.join(a.name, 'g', t === d1 ? a : undefined);
    t.join(b.name, 'g', t === d2 ? b : undefined);
  }
  d3.join(c.name, 'g', c);
  d3.join(dd.name, 'h', dd);
  for (const x of [a, b, c, dd]) x.got.length = 0;
  // the merge: each side's transitional configuration is itself, then one regular configuration
  const C: RingId = { procId: 1, time: 30 };
  const acts = [
    d1.transitional({ procId: 1, time: 29 }, ['d1', 'd2']),
    d2.transitional({ procId: 1, time: 29 }, ['d1', 'd2']),
    d3.transitional({ procId: 3, time: 29 }, ['d3']),
  ];
  for (const x of acts) deliverAll(x);
  for (const x of [a, b, c, dd]) assert.equal(x.got.length, 0, 'nobody lost, so no transitional signal');
  const regs = [d1, d2, d3].map((t) => t.regular(C, ['d1', 'd2', 'd3']));
  for (const r of regs) assert.equal(r.exchange, 'start');
  assert.equal(regs[1]!.groupsMessages.length, 0, 'd2 is not its synced set representative');
  // the ring delivers the representatives' messages in one order everywhere
  const sent: GroupsMessage[] = [...regs[2]!.groupsMessages, ...regs[0]!.groupsMessages].map((m) => decodeGroupsMessage(encodeGroupsMessage(m.message))!);
  assert.equal(sent.length, 2);
  const done = [d1, d2, d3].map((t) => {
    let last: GroupActions<typeof a> | undefined;
    for (const m of sent) last = t.groupsMessage(m);
    return last!;
  });
  for (const r of done) {
    assert.equal(r.exchange, 'done');
    deliverAll(r);
  }
  assert.equal(d1.digest(), d2.digest());
  assert.equal(d1.digest(), d3.digest());
  assert.deepEqual(d1.members('g'), ['#a#d1', '#b#d2', '#c#d3']);
  assert.deepEqual(d2.members('h'), ['#d#d3']);
  for (const [x, mySet] of [[a, 0], [b, 0], [c, 1]] as const) {
    assert.equal(x.got.length, 1);
    const v = decoded(x.got[0]!);
    assert.equal(v.kind, 'view');
    if (v.kind !== 'view') return;
    assert.deepEqual(v.vsSets, [['#a#d1', '#b#d2'], ['#c#d3']]);
    assert.equal(v.myVsSetIndex, mySet);
    assert.deepEqual(v.groupId, { ...C, index: 1 });
  }
  assert.equal(dd.got.length, 0, 'a group only one side had gets no view and keeps its id');
  assert.deepEqual(d1.groupId('h'), d3.groupId('h'));
  assert.deepEqual([...d1.syncedSet].sort(), ['d1', 'd2', 'd3']);
});

test('a join while the group is changed: network view with the joiner alone last, then a signal', () => {
  const { tables, clients } = threeTogether();
  const T: RingId = { procId: 1, time: 11 };
  deliverAll(tables.d1.transitional(T, ['d1', 'd2']));
  clients.a.got.length = 0;
  const e = { name: '#e#d1', got: [] as Buffer[] };
  for (const n of tables.d1.join(e.name, 'g', e)) n.to.got.push(n.bytes);
  const forA = clients.a.got.map(decoded);
  const forE = e.got.map(decoded);
  assert.equal(forA.length, 2);
  assert.equal(forA[1]!.kind, 'trans');
  const v = forA[0]!;
  assert.equal(v.kind, 'view');
  if (v.kind !== 'view') return;
  assert.equal(v.type, REG_MEMB_MESS | CAUSED_BY_NETWORK);
  assert.deepEqual(v.vsSets, [['#a#d1', '#b#d2'], ['#c#d3'], ['#e#d1']]);
  assert.equal(v.myVsSetIndex, 0);
  const ve = forE[0]!;
  assert.equal(ve.kind === 'view' && ve.myVsSetIndex, 2, "the joiner's copy points at its own set");
});

test('GROUPS payloads: garbage never throws and is refused', () => {
  assert.equal(decodeGroupsMessage(Buffer.alloc(10)), undefined);
  const good = encodeGroupsMessage({ ringId: R0, representative: 'd1', groups: [] });
  const bad = Buffer.from(good);
  bad[60] = 0x7b;
  assert.equal(decodeGroupsMessage(bad), undefined);
  assert.deepEqual(decodeGroupsMessage(good), { ringId: R0, representative: 'd1', groups: [] });
});
