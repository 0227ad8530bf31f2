// The membership state machine's transitions and timers (design 5.2, 5.4, 5.5, 5.8;
// membership.c: Memb_token_loss, Shift_to_*, Gather_or_represented, Form_or_fail,
// Memb_lookup_new_members).
import { encodeAlive, encodeJoin } from '../wire/membership.ts';
import { RepType, type RepInfo } from '../wire/types.ts';
import { resetToken, ringView, type RingState } from '../ring/state.ts';
import { setDeliveryThreshold } from '../ring/threshold.ts';
import type { RingAction, RingTimerName } from '../ring/types.ts';
import { backoffMembership } from './evs.ts';
import { createForm1 } from './form.ts';
import { insertRep, potentialRepsFor, smallestMember, smallestRep } from './reps.ts';
import { cancelTimer, enter, mySegment, note, setTimer } from './util.ts';

/** The daemon starts alone: member set {me}, then at once "token lost" (Memb_init). */
export function startMembership(s: RingState, out: RingAction[]): void {
  s.memberState = 'OP';
  s.tokenAlive = false;
  tokenLoss(s, out);
}

/**
 * The token is lost (Memb_token_loss), from OP, GATHER (ring rep), FORM or EVS: work out whom to
 * contact in other segments, stop the ring, and announce myself alone (SEG).
 */
export function tokenLoss(s: RingState, out: RingAction[]): void {
  const m = s.memb;
  const was = s.memberState;
  switch (was) {
    case 'OP':
      m.potentialReps = potentialRepsFor(s.params, s.ring.members);
      break;
    case 'GATHER': {
      // reps gathered so far first (without me), then my ring's
      const reps: RepInfo[] = [];
      for (const r of m.fReps.slice(1)) insertRep(reps, r);
      for (const r of potentialRepsFor(s.params, s.ring.members)) insertRep(reps, r);
      m.potentialReps = reps;
      break;
    }
    case 'FORM':
      // potential reps were set from the form token
      break;
    case 'EVS':
      backoffMembership(s);
      m.potentialReps = potentialRepsFor(s.params, m.future?.members ?? []);
      break;
    case 'SEG':
    case 'REPRESENTED':
      return;
  }
  s.counters.tokenLosses++;
  out.push({ type: 'tokenLost', state: was });
  s.tokenAlive = false;
  s.tokenHeld = false;
  s.justInstalled = false;
  setDeliveryThreshold(s, out, 'BLOCK');
  for (const t of ['TOKEN_LOSS', 'JOIN', 'FORM_OR_FAIL', 'HURRY', 'LOOKUP'] as const) cancelTimer(out, t);
  if (s.tokenFirst) {
    s.tokenFirst = false;
    out.push(s.fixed.dataFirst);
  }
  s.lastToken = resetToken(s.params, s.ring.ringId);
  // the member set shrinks to me; the ring id stays that of the last installed ring (5.1)
  s.ring = ringView(s.params, s.ring.ringId, [s.params.selfId]);
  s.active = s.ring;
  m.future = undefined;
  m.committed = false;
  shiftToSeg(s, out);
}

function shiftToSeg(s: RingState, out: RingAction[]): void {
  enter(s, out, 'SEG');
  s.memb.fMembers = [s.params.selfId];
  sendAlive(s, out);
  setTimer(out, 'ALIVE', s.params.timeouts.aliveMs);
  setTimer(out, 'SEG_DECIDE', s.params.timeouts.segMs);
}

/** Seg timeout: the smallest daemon alive becomes its segment's representative (Gather_or_represented). */
function gatherOrRepresented(s: RingState, out: RingAction[]): void {
  s.memb.mySegRep = -1;
  if (smallestMember(s.params, s.memb.fMembers) === s.params.selfId) shiftToGather(s, out);
  else shiftToRepresented(s, out);
}

export function shiftToGather(s: RingState, out: RingAction[]): void {
  enter(s, out, 'GATHER');
  s.memb.fReps = [{ id: s.params.selfId, type: s.tokenAlive ? RepType.RING : RepType.SEG, segIndex: mySegment(s) }];
  cancelTimer(out, 'ALIVE');
  cancelTimer(out, 'LOOKUP');
  sendJoin(s, out);
  setTimer(out, 'FORM_OR_FAIL', s.params.timeouts.gatherMs);
}

export function shiftToRepresented(s: RingState, out: RingAction[]): void {
  enter(s, out, 'REPRESENTED');
  cancelTimer(out, 'ALIVE');
  cancelTimer(out, 'SEG_DECIDE');
  setTimer(out, 'REP_LOST', s.params.timeouts.repMs);
}

function backToOp(s: RingState, out: RingAction[]): void {
  cancelTimer(out, 'JOIN');
  setTimer(out, 'LOOKUP', s.params.timeouts.lookupMs);
  enter(s, out, 'OP');
}

/** Gather timeout (Form_or_fail): the smallest rep forms the ring; the others step back. */
function formOrFail(s: RingState, out: RingAction[]): void {
  const m = s.memb;
  if (smallestRep(s.params, m.fReps)?.id === s.params.selfId) {
    if (s.tokenAlive && m.fReps.length === 1) {
      note(s, out, 'form or fail: nobody to merge with');
      backToOp(s, out);
    } else {
      createForm1(s, out);
    }
    return;
  }
  if (s.tokenAlive) {
    // the smallest rep will send FORM1 to me; if it finds me in OP, the attempt fails
    note(s, out, 'form or fail: not the smallest rep, back to OP');
    backToOp(s, out);
    return;
  }
  note(s, out, 'form or fail: the smallest rep did not form; gather again');
  m.fMembers = [s.params.selfId];
  const reps: RepInfo[] = [];
  for (const r of m.fReps.slice(1)) insertRep(reps, r);
  m.potentialReps = reps;
  shiftToGather(s, out);
}

/** Announces me on my segment; from SEG every Alive timeout, once when I hear my rep (Scast_alive). */
export function sendAlive(s: RingState, out: RingAction[]): void {
  const bytes = encodeAlive({ configHash: s.params.configHash, transmitter: s.params.selfId, members: s.memb.fMembers });
  out.push({ type: 'broadcast', bytes });
}

/** JOIN: to my segment unless I lead a live ring, and to every potential rep (Send_join). */
export function sendJoin(s: RingState, out: RingAction[]): void {
  const m = s.memb;
  const bytes = encodeJoin({ configHash: s.params.configHash, transmitter: s.params.selfId, members: m.fMembers, reps: m.fReps });
  if (!s.tokenAlive) out.push({ type: 'broadcast', bytes });
  for (const r of m.potentialReps) {
    if (r.id !== s.params.selfId) out.push({ type: 'unicast', to: r.id, bytes });
  }
  setTimer(out, 'JOIN', s.params.timeouts.joinMs);
}

/**
 * The leader of a live ring looks for daemons outside it (Memb_lookup_new_members, design 5.8):
 * a JOIN to the whole segment in a one-segment configuration, else to every configured daemon
 * outside the last regular configuration; then it gathers as a ring rep.
 */
export function lookupNewMembers(s: RingState, out: RingAction[]): void {
  if (s.memberState !== 'OP') return;
  const m = s.memb;
  m.potentialReps = [];
  m.fReps = [{ id: s.params.selfId, type: RepType.RING, segIndex: mySegment(s) }];
  m.fMembers = [];
  const bytes = encodeJoin({ configHash: s.params.configHash, transmitter: s.params.selfId, members: m.fMembers, reps: m.fReps });
  let sent = 0;
  if (s.params.numSegments === 1) {
    out.push({ type: 'broadcast', bytes });
    sent++;
  } else {
    for (const d of s.params.daemonOrder) {
      if (m.regularMembers.includes(d)) continue;
      out.push({ type: 'unicast', to: d, bytes });
      sent++;
    }
  }
  if (sent > 0) shiftToGather(s, out);
}

export function onMembershipTimer(s: RingState, out: RingAction[], name: RingTimerName): void {
  switch (name) {
    case 'TOKEN_LOSS':
      // Token timeout (OP, EVS, GATHER as ring rep) or Form timeout (FORM)
      if (s.memberState === 'SEG' || s.memberState === 'REPRESENTED') return;
      if (s.memberState === 'GATHER' && !s.tokenAlive) return;
      if (s.memberState === 'OP' && !s.tokenAlive) return;
      tokenLoss(s, out);
      return;
    case 'ALIVE':
      if (s.memberState !== 'SEG') return;
      sendAlive(s, out);
      setTimer(out, 'ALIVE', s.params.timeouts.aliveMs);
      return;
    case 'JOIN':
      if (s.memberState === 'GATHER') sendJoin(s, out);
      return;
    case 'SEG_DECIDE':
      if (s.memberState === 'SEG') gatherOrRepresented(s, out);
      return;
    case 'REP_LOST':
      if (s.memberState === 'REPRESENTED') shiftToSeg(s, out);
      return;
    case 'FORM_OR_FAIL':
      if (s.memberState === 'GATHER') formOrFail(s, out);
      return;
    case 'LOOKUP':
      lookupNewMembers(s, out);
      return;
    default:
      return;
  }
}
