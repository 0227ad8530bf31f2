// EVS recovery (design 6): commit, back-off, and the delivery sequence that ends a membership
// change (protocol.c: Discard_packets, EVS branch; membership.c: Memb_commit, Backoff_membership,
// Memb_transitional, Memb_regular).
import type { RingId } from '../wire/types.ts';
import { deliverPacket } from '../ring/delivery.ts';
import { anomaly, sortByOrder, type RingState } from '../ring/state.ts';
import { setDeliveryThreshold } from '../ring/threshold.ts';
import type { RingAction } from '../ring/types.ts';
import { enter, note, setTimer } from './util.ts';

/** This daemon holds everything its old ring can give: it commits to the recovery (6.3, Memb_commit). */
export function commit(s: RingState, out: RingAction[]): void {
  s.memb.commitSet = s.memb.futureCommitSet;
  s.memb.committed = true;
  out.push({ type: 'trace', record: { kind: 'commit' } });
}

/**
 * The token was lost during recovery (Backoff_membership): forget the hole marks, fall back to
 * the old ring's own stable mark; the next attempt recovers the same old ring again (6.5).
 */
export function backoffMembership(s: RingState): void {
  for (let seq = s.lastDiscarded + 1; seq <= s.highestSeq; seq++) {
    if (s.store.get(seq)?.state === 'hole') s.store.delete(seq);
  }
  s.aru = s.lastDiscarded;
  s.myAru = s.lastDiscarded;
  while (s.myAru < s.highestSeq && s.store.has(s.myAru + 1)) s.myAru++;
  s.memb.committed = false;
}

/**
 * Called after each token visit in EVS with the new stable aru. When it reaches lastSeq every
 * member knows that every member finished recovering: deliver what EVS allows and install (6.4).
 */
export function evsDiscard(s: RingState, out: RingAction[]): void {
  if (s.aru <= s.lastDiscarded || s.aru !== s.lastSeq) return;
  const m = s.memb;
  const oldRingId = s.ring.ringId;
  const future = m.future;
  if (future === undefined) return anomaly(s, out, 'recovery complete without a ring to install');

  // B1: in the old regular configuration, up to the first hole or the first Safe packet
  let seq = s.lastDiscarded + 1;
  for (; seq <= s.highestSeq; seq++) {
    const e = s.store.get(seq);
    if (e === undefined) {
      anomaly(s, out, `recovery complete but packet ${seq} is neither held nor a hole`);
      continue;
    }
    if (e.state === 'hole' || e.packet.service === 'SAFE') break;
    if (e.state === 'received') deliverPacket(s, out, e, false);
    s.store.delete(seq);
    s.lastDiscarded = seq;
  }

  // B2: the transitional configuration: who comes with me from my old ring
  const commitSet = m.commitSet;
  const trans = sortByOrder(s.params, commitSet.members.slice(0, commitSet.trans));
  const commitMembers = sortByOrder(s.params, commitSet.members);
  const transId: RingId = { procId: trans[0]!, time: m.transTime };
  m.transitionalId = transId;
  out.push({ type: 'transitional', configId: transId, members: trans, fromRingId: oldRingId, toRingId: future.ringId, commitSet: commitMembers });

  // B3: the rest, in the transitional configuration; after the first hole only from the commit set
  s.deliveryConfig = { id: transId, transitional: true };
  let hole = false;
  for (; seq <= s.highestSeq; seq++) {
    const e = s.store.get(seq);
    if (e === undefined) {
      anomaly(s, out, `recovery complete but packet ${seq} is neither held nor a hole`);
      continue;
    }
    if (e.state === 'hole') hole = true;
    else if (hole && !commitMembers.includes(e.packet.originator)) s.counters.recoveryDiscarded++;
    else if (e.state === 'received') {
      if (hole && !trans.includes(e.packet.originator)) s.counters.recoveryByCommitSet++;
      deliverPacket(s, out, e, false);
    }
    s.store.delete(seq);
  }
  if (s.store.size !== 0) {
    anomaly(s, out, `${s.store.size} packets left after recovery`);
    s.store.clear();
  }

  // B4: incomplete messages are thrown away; my own partly sent one is re-sent whole in the new ring
  s.upQueues.clear();
  s.downQueue.restartHead();
  s.groupsQueue.restartHead();

  installRegular(s, out, transId);
}

/** B5: the new ring becomes the regular configuration (Memb_regular); state OP. */
function installRegular(s: RingState, out: RingAction[], transId: RingId): void {
  const m = s.memb;
  const future = m.future!;
  s.counters.membershipChanges++;
  s.ring = future;
  s.active = future;
  m.future = undefined;
  m.regularMembers = future.members;
  m.commitSet = { members: [s.params.selfId], trans: 1 };
  m.committed = false;
  m.foreignFound = false;
  if (future.isLeader) setTimer(out, 'LOOKUP', s.params.timeouts.lookupMs);
  enter(s, out, 'OP');
  // the first token accepted in the new ring clears lastToken.aru (6.4, last paragraph)
  s.justInstalled = true;
  s.deliveryConfig = { id: future.ringId, transitional: false };
  s.highestSeq = 0;
  s.myAru = 0;
  s.aru = 0;
  s.lastDiscarded = 0;
  s.lastDelivered = 0;
  s.lastSeq = 0;
  s.idleCounter = 0;
  note(s, out, `installed ring ${future.ringId.procId}:${future.ringId.time} [${future.members.join(',')}]`);
  out.push({ type: 'regular', ringId: future.ringId, members: future.members, transitionalId: transId });
  setDeliveryThreshold(s, out, s.params.installThreshold);
}
