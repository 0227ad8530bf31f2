// ALIVE, JOIN, REFER and foreign data packets in each membership state (design 5.4;
// membership.c: Memb_handle_alive, _join, _refer, _foreign).
import { encodeRefer } from '../wire/membership.ts';
import { stampSender } from '../wire/envelope.ts';
import { RepType, type AliveMessage, type DataPacket, type JoinMessage, type ReferMessage } from '../wire/types.ts';
import type { RingState } from '../ring/state.ts';
import type { RingAction } from '../ring/types.ts';
import { insertMember, insertRep, smallestRep } from './reps.ts';
import { lookupNewMembers, sendAlive, shiftToGather, shiftToRepresented, tokenLoss } from './transitions.ts';
import { mySegment, note, segmentLeader, setTimer } from './util.ts';

function inMyRing(s: RingState, id: number): boolean {
  return s.ring.members.includes(id);
}

/** A member of my ring announces itself alone: my token is lost too. */
function memberLostItsToken(s: RingState, out: RingAction[], from: number): void {
  note(s, out, `ALIVE or JOIN from member ${from}: token lost`);
  tokenLoss(s, out);
  insertMember(s.memb.fMembers, from);
}

export function onAlive(s: RingState, out: RingAction[], a: AliveMessage): void {
  const from = a.transmitter;
  switch (s.memberState) {
    case 'OP':
      if (inMyRing(s, from)) memberLostItsToken(s, out, from);
      return;
    case 'SEG':
      insertMember(s.memb.fMembers, from);
      return;
    case 'REPRESENTED':
      setTimer(out, 'REP_LOST', s.params.timeouts.repMs);
      return;
    case 'GATHER':
      // a segment rep takes it; a ring rep hears that a member of its ring lost the token
      if (!s.tokenAlive) insertMember(s.memb.fMembers, from);
      else if (inMyRing(s, from)) memberLostItsToken(s, out, from);
      return;
    case 'FORM':
      // it may be in the ring being formed, but there is no way to know yet
      return;
    case 'EVS':
      if (s.memb.future?.members.includes(from) === true) memberLostItsToken(s, out, from);
      return;
  }
}

function refer(s: RingState, out: RingAction[], to: number, rep: number, repType: RepType): void {
  out.push({ type: 'unicast', to, bytes: encodeRefer({ configHash: s.params.configHash, transmitter: s.params.selfId, rep, repType }) });
}

export function onJoin(s: RingState, out: RingAction[], j: JoinMessage): void {
  const from = j.transmitter;
  const first = j.reps[0]!;
  const m = s.memb;
  const fromMySegment = s.params.segmentOf.get(from) === mySegment(s);
  switch (s.memberState) {
    case 'OP':
      if (!inMyRing(s, from)) {
        if (s.ring.leader === s.params.selfId) {
          note(s, out, `JOIN from stranger ${from}: gather as ring rep`);
          m.potentialReps = [first];
          m.fMembers = [];
          shiftToGather(s, out);
        } else if (first.segIndex !== mySegment(s) || segmentLeader(s, s.ring.members, mySegment(s)) === s.params.selfId) {
          refer(s, out, from, s.ring.leader, RepType.RING);
        }
      } else if (s.params.numSegments > 1) {
        // in one segment a JOIN from my ring is its leader's lookup probe
        memberLostItsToken(s, out, from);
      }
      return;
    case 'SEG':
      if (fromMySegment && first.type === RepType.SEG) {
        m.mySegRep = from;
        shiftToRepresented(s, out);
        sendAlive(s, out);
      }
      return;
    case 'REPRESENTED':
      if (fromMySegment && first.type === RepType.SEG) {
        m.mySegRep = from;
        setTimer(out, 'REP_LOST', s.params.timeouts.repMs);
        sendAlive(s, out);
      } else if (m.mySegRep !== -1) {
        refer(s, out, from, m.mySegRep, RepType.SEG);
      }
      return;
    case 'GATHER':
      insertRep(m.fReps, first);
      for (const r of j.reps) insertRep(m.potentialReps, r);
      // my smallest rep is alive: give it time to form
      if (smallestRep(s.params, m.fReps)?.id === first.id) setTimer(out, 'FORM_OR_FAIL', s.params.timeouts.gatherMs);
      return;
    case 'FORM':
      return;
    case 'EVS':
      if (m.future?.members.includes(from) === true) memberLostItsToken(s, out, from);
      return;
  }
}

export function onRefer(s: RingState, r: ReferMessage): void {
  if (s.memberState !== 'GATHER') return;
  const seg = s.params.segmentOf.get(r.rep);
  if (seg === undefined) return;
  insertRep(s.memb.potentialReps, { id: r.rep, type: r.repType, segIndex: seg });
}

/**
 * A data packet of another ring: evidence of daemons to merge with (design 5.8). The leader
 * looks them up at once; a segment leader forwards one such packet per ring to its leader.
 */
export function onForeign(s: RingState, out: RingAction[], p: DataPacket): void {
  if (s.memberState !== 'OP' || !s.params.segmentOf.has(p.originator)) return;
  if (s.ring.leader === s.params.selfId) {
    lookupNewMembers(s, out);
  } else if (!s.memb.foreignFound && segmentLeader(s, s.ring.members, mySegment(s)) === s.params.selfId) {
    s.memb.foreignFound = true;
    // forwarded as our own datagram: the leader's network layer checks the source address
    const copy = Uint8Array.from(p.datagram);
    stampSender(copy, s.params.configHash, s.params.selfId);
    out.push({ type: 'unicast', to: s.ring.leader, bytes: copy });
    out.push({ type: 'unicast', to: s.ring.leader, bytes: copy });
  }
}
