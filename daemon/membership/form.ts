// The form tokens (design 5.6; membership.c: Create_form1, Fill_form1, Read_form2).
import { ARU_UNSET, MAX_FORM_REPS, NO_DAEMON } from '../wire/constants.ts';
import { encodeFormToken } from '../wire/form-token.ts';
import { encodeToken } from '../wire/token.ts';
import { ringIdEquals, RepType, type FormToken, type RepInfo, type RingInfo } from '../wire/types.ts';
import { discardUpTo } from '../ring/delivery.ts';
import { anomaly, dropped, holeMarker, holds, resetToken, ringView, sortByOrder, type RingState } from '../ring/state.ts';
import { setDeliveryThreshold } from '../ring/threshold.ts';
import type { RingAction } from '../ring/types.ts';
import { insertMember, insertRep, sortReps } from './reps.ts';
import { cancelTimer, enter, mySegment, nextTime, note, setTimer } from './util.ts';

/** Every daemon raises the seq floor to its highestSeq + 3333: above any seq of any old ring. */
const SEQ_FLOOR_MARGIN = 3333;

export function onFormToken(s: RingState, out: RingAction[], t: FormToken): void {
  const state = s.memberState;
  if (t.kind === 'FORM1') {
    if (state === 'REPRESENTED' || state === 'GATHER' || (state === 'OP' && s.ring.leader !== s.params.selfId)) fillForm1(s, out, t);
    else dropped(s, out, `FORM1 swallowed in ${state}`);
  } else if (state === 'FORM') {
    readForm2(s, out, t);
  } else {
    dropped(s, out, `FORM2 swallowed in ${state}`);
  }
}

/** Seqs in (from, to] this daemon does not hold. */
function missing(s: RingState, from: number, to: number): number[] {
  const r: number[] = [];
  for (let seq = from + 1; seq <= to; seq++) if (!holds(s, seq)) r.push(seq);
  return r;
}

/** The ring info of my old ring as I alone know it (5.6 step 5). */
function myRingInfo(s: RingState): RingInfo {
  const me = s.params.selfId;
  return {
    ringId: s.ring.ringId,
    transTime: 0,
    aru: s.aru,
    highestSeq: s.highestSeq,
    holes: missing(s, s.lastDiscarded, s.highestSeq),
    trans: 1,
    commit: [me, ...s.memb.commitSet.members.filter((id) => id !== me)],
  };
}

/** Potential reps for the retry after a failure: the other segments' reps on the token. */
function potentialFromToken(s: RingState, reps: ReadonlyArray<RepInfo>): RepInfo[] {
  const r: RepInfo[] = [];
  for (const rep of reps) if (rep.segIndex !== mySegment(s)) insertRep(r, { ...rep, type: RepType.POTENTIAL });
  return r;
}

function sendForm(s: RingState, out: RingAction[], t: FormToken, to: number): void {
  t.transmitter = s.params.selfId;
  const bytes = encodeFormToken(t);
  // sent twice to survive a single loss; the form id filters the duplicate
  out.push({ type: 'sendToken', to, bytes });
  out.push({ type: 'sendToken', to, bytes });
}

/** FORM1 goes to the next pending member, else the next rep; at the end it turns into FORM2. */
function forwardForm1(s: RingState, out: RingAction[], t: FormToken): void {
  if (t.confirmed < t.members.length) return sendForm(s, out, t, t.members[t.confirmed]!);
  if (t.repCursor < t.reps.length) return sendForm(s, out, t, t.reps[t.repCursor]!.id);
  t.kind = 'FORM2';
  t.members = sortByOrder(s.params, t.members);
  t.confirmed = 0;
  t.reps = [];
  t.repCursor = 0;
  t.newRingId = { procId: 0, time: 0 };
  note(s, out, `FORM2 for [${t.members.join(',')}]`);
  sendForm(s, out, t, t.members[0]!);
}

/** After creating or filling FORM1: wait for FORM2, with the old ring stopped (5.6 step 7). */
function enterForm(s: RingState, out: RingAction[]): void {
  cancelTimer(out, 'JOIN');
  cancelTimer(out, 'FORM_OR_FAIL');
  cancelTimer(out, 'REP_LOST');
  cancelTimer(out, 'HURRY');
  setTimer(out, 'TOKEN_LOSS', s.params.timeouts.formMs);
  s.tokenAlive = false;
  s.tokenHeld = false;
  setDeliveryThreshold(s, out, 'BLOCK');
  enter(s, out, 'FORM');
}

/** The smallest rep starts the FORM1 round (Create_form1). */
export function createForm1(s: RingState, out: RingAction[]): void {
  const me = s.params.selfId;
  const m = s.memb;
  s.counters.formTokensCreated++;
  const formId = { procId: me, time: nextTime(s) };
  m.formId = formId;
  const ringRep = m.fReps[0]?.type === RepType.RING;
  // reps bring their own members
  const others = (ringRep ? s.ring.members : m.fMembers).filter((id) => id !== me && !m.fReps.some((r) => r.id === id));
  const reps = sortReps(s.params, m.fReps);
  m.potentialReps = potentialFromToken(s, reps);
  const t: FormToken = {
    kind: 'FORM1',
    configHash: s.params.configHash,
    transmitter: me,
    procId: me,
    formId,
    seqFloor: s.highestSeq + SEQ_FLOOR_MARGIN,
    members: [me, ...others],
    confirmed: 1,
    reps,
    repCursor: 1,
    newRingId: { procId: 0, time: 0 },
    rings: [myRingInfo(s)],
  };
  note(s, out, `FORM1 created: members [${t.members.join(',')}], reps [${reps.map((r) => `${r.id}/${r.type}`).join(',')}]`);
  forwardForm1(s, out, t);
  enterForm(s, out);
}

/** A member or rep adds itself, its members and what it knows of its old ring (Fill_form1). */
function fillForm1(s: RingState, out: RingAction[], t: FormToken): void {
  const me = s.params.selfId;
  const m = s.memb;
  if (s.memberState === 'OP' || s.memberState === 'REPRESENTED') {
    if (t.confirmed >= t.members.length || t.members[t.confirmed] !== me) return dropped(s, out, 'FORM1 not for me');
    t.confirmed++;
  } else {
    const cur = t.reps[t.repCursor];
    const rightType = s.tokenAlive ? RepType.RING : RepType.SEG;
    if (cur === undefined || cur.id !== me || cur.type !== rightType || t.confirmed !== t.members.length) {
      return dropped(s, out, 'FORM1 not for me as rep');
    }
    let mine: number[];
    if (cur.type === RepType.SEG) {
      const confirmed = t.members.slice(0, t.confirmed);
      // members already on the token, and other reps (they bring their own members), stay out
      mine = m.fMembers.filter(
        (id) =>
          id === me ||
          (!confirmed.includes(id) && !t.reps.some((r) => r.id === id) && !m.fReps.some((r) => r.id === id)),
      );
    } else {
      mine = [...s.ring.members];
    }
    // Deviation: Spread does not filter a ring rep's members; a daemon listed twice would be
    // asked to fill twice and the attempt would fail, so we leave out anyone already listed.
    const add = [me, ...mine.filter((id) => id !== me && !t.members.includes(id))];
    t.members.push(...add);
    t.confirmed++;
    t.repCursor++;
  }
  t.procId = me;
  if (t.seqFloor < s.highestSeq + SEQ_FLOOR_MARGIN) t.seqFloor = s.highestSeq + SEQ_FLOOR_MARGIN;
  m.formId = t.formId;
  m.potentialReps = potentialFromToken(s, t.reps);
  mergeRingInfo(s, out, t);
  forwardForm1(s, out, t);
  enterForm(s, out);
}

/** Adds or merges my old ring's info on the token (5.6, Fill_form1). */
function mergeRingInfo(s: RingState, out: RingAction[], t: FormToken): void {
  const me = s.params.selfId;
  const e = t.rings.find((r) => ringIdEquals(r.ringId, s.ring.ringId));
  if (e === undefined) {
    if (t.rings.length >= MAX_FORM_REPS) {
      // no room for my old ring: I leave this attempt
      const i = t.members.indexOf(me);
      if (i >= 0 && i < t.confirmed) {
        t.members.splice(i, 1);
        t.confirmed--;
      }
      note(s, out, 'FORM1 full of ring infos: I leave this attempt');
      return;
    }
    t.rings.push(myRingInfo(s));
    return;
  }
  // holes stay holes only if I miss them too; my own gaps above the listed highest seq are added
  const holes = e.holes.filter((h) => !holds(s, h));
  if (s.highestSeq > e.highestSeq) holes.push(...missing(s, e.highestSeq, s.highestSeq));
  e.holes = holes;
  e.aru = Math.max(e.aru, s.aru);
  e.highestSeq = Math.max(e.highestSeq, s.highestSeq);
  const list = e.commit.slice(0, e.trans);
  if (!insertMember(list, me)) anomaly(s, out, `FORM1: already in the trans list of my old ring`);
  const trans = list.length;
  for (const id of e.commit.slice(e.trans)) insertMember(list, id);
  for (const id of s.memb.commitSet.members) insertMember(list, id);
  e.commit = list;
  e.trans = trans;
}

/** FORM2: everybody learns the new ring and its recovery data; recovery starts (Read_form2). */
function readForm2(s: RingState, out: RingAction[], t: FormToken): void {
  const me = s.params.selfId;
  const m = s.memb;
  const params = s.params;
  if (!ringIdEquals(t.formId, m.formId)) return dropped(s, out, 'FORM2 of another attempt');
  if (t.confirmed >= t.members.length || t.members[t.confirmed] !== me) return dropped(s, out, 'FORM2 not for me');
  const info = t.rings.find((r) => ringIdEquals(r.ringId, s.ring.ringId));
  if (info === undefined) return dropped(s, out, 'FORM2 without my old ring');
  const members = t.members;
  const sorted = sortByOrder(params, members);
  if (new Set(members).size !== members.length || sorted.some((id, i) => id !== members[i] || !params.orderOf.has(id))) {
    return dropped(s, out, 'FORM2 with a malformed member list');
  }
  t.procId = me;
  t.confirmed++;
  s.lastSeq = t.seqFloor;
  let membTime = 0;
  if (t.confirmed === 1) {
    // the future leader names the ring; its time also serves for a transitional id (5.7)
    membTime = nextTime(s);
    t.newRingId = { procId: me, time: nextTime(s) };
  }
  if (t.newRingId.procId !== members[0]) return anomaly(s, out, 'FORM2: the ring id does not name the leader');
  const future = ringView(params, t.newRingId, members);
  m.future = future;
  s.active = future;
  s.lastNumSent = 0;
  s.lastNumRetrans = 0;

  // forget packets of my old ring that arrived after I filled FORM1 from daemons not coming along
  for (let seq = info.highestSeq + 1; seq <= s.highestSeq; seq++) {
    const e = s.store.get(seq);
    if (e === undefined) continue;
    if (e.packet !== undefined && future.members.includes(e.packet.originator)) {
      anomaly(s, out, `FORM2: dropping packet ${seq} of member ${e.packet.originator} above the ring's highest seq`);
    }
    s.store.delete(seq);
  }
  if (s.myAru > info.highestSeq) s.myAru = info.highestSeq;
  s.highestSeq = info.highestSeq;
  if (info.aru < s.aru) anomaly(s, out, `FORM2: old ring aru ${info.aru} below mine ${s.aru}`);
  else s.aru = info.aru;
  // phase A: what any present member knew to be stable is delivered now, in the old configuration
  discardUpTo(s, out, s.aru);

  for (const h of info.holes) {
    if (h <= s.lastDiscarded) {
      anomaly(s, out, `FORM2: hole ${h} at or below the stable mark ${s.lastDiscarded}`);
      continue;
    }
    const e = s.store.get(h);
    if (e !== undefined && e.packet !== undefined && future.members.includes(e.packet.originator)) {
      anomaly(s, out, `FORM2: hole ${h} is a packet of member ${e.packet.originator}`);
    }
    // a packet I hold at a hole came from a departing daemon after FORM1: all present drop it
    s.store.set(h, holeMarker());
    s.counters.recoveryHoles++;
  }
  s.myAru = s.lastDiscarded;
  for (;;) {
    const e = s.store.get(s.myAru + 1);
    if (s.myAru >= s.highestSeq || e === undefined || e.state === 'hole') break;
    s.myAru++;
  }
  if (s.lastDelivered > s.myAru) anomaly(s, out, `FORM2: delivered up to ${s.lastDelivered} beyond myAru ${s.myAru}`);

  m.futureCommitSet = { members: info.commit.slice(), trans: info.trans };
  m.committed = false;
  // the first member of each old ring in ring order sets its transitional time
  if (info.transTime === 0) info.transTime = membTime !== 0 ? membTime : nextTime(s);
  m.transTime = info.transTime;

  if (!future.isLast) {
    sendForm(s, out, t, future.successor);
    s.tokenRounds = 0;
  } else {
    // the last member turns FORM2 into the new ring's first regular token (5.6 step 8)
    const bytes = encodeToken({
      configHash: params.configHash,
      transmitter: me,
      procId: me,
      ringId: t.newRingId,
      arq: 0,
      retrans: 0,
      seq: 0,
      aru: ARU_UNSET,
      aruSetter: NO_DAEMON,
      flowControl: 0,
      rtr: [],
    });
    out.push({ type: 'sendToken', to: future.successor, bytes });
    out.push({ type: 'sendToken', to: future.successor, bytes });
    s.tokenRounds = 1;
  }
  s.tokenAlive = true;
  out.push(s.fixed.setTokenLoss);
  s.receivedTokenRounds = 0;
  s.lastToken = resetToken(params, t.newRingId);
  // the stable aru restarts in recovery so that it never decreases (5.6 step 9)
  s.aru = 0;
  note(s, out, `FORM2 read: ring ${t.newRingId.procId}:${t.newRingId.time} [${members.join(',')}], old ring aru ${info.aru} highest ${info.highestSeq} holes ${info.holes.length}`);
  enter(s, out, 'EVS');
}
