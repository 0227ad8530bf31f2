// The token (design 3.4): retransmissions, new packets, requests, aru and stability, hold,
// and the leader's hurry (3.10).
import { encodeToken } from '../wire/token.ts';
import { formatRingId, ringIdEquals } from '../wire/types.ts';
import type { Token } from '../wire/types.ts';
import { commit, evsDiscard } from '../membership/evs.ts';
import { tokenLoss } from '../membership/transitions.ts';
import { MAX_EVS_ROUNDS } from './constants.ts';
import { deliverAgreed, deliverReliable, discardUpTo } from './delivery.ts';
import { flushPostToken, sendNewPackets } from './packing.ts';
import { answerRetransmissions, buildMyRequest } from './retransmission.ts';
import { advanceMyAru, anomaly, type RingState } from './state.ts';
import {
  duplicateVerdict,
  flowControlAllowed,
  nextFlowControl,
  setsTokenAru,
  stableAru,
  tokenIsIdle,
} from './token-rules.ts';
import type { RingAction } from './types.ts';

function rejectToken(s: RingState, out: RingAction[], reason: string): void {
  s.counters.tokensRejected++;
  if (s.params.trace) out.push({ type: 'trace', record: { kind: 'tokenRejected', reason } });
}

export function onToken(s: RingState, out: RingAction[], t: Token): void {
  const params = s.params;
  const a = s.active;
  if (!s.tokenAlive) return rejectToken(s, out, 'no live ring (veto)');
  if (!ringIdEquals(t.ringId, a.ringId)) return rejectToken(s, out, `token of ring ${formatRingId(t.ringId)}`);
  if (t.transmitter !== a.predecessor) return rejectToken(s, out, `token from ${t.transmitter}, not my predecessor`);
  const inRecovery = s.memberState === 'EVS';
  if (!inRecovery && t.seq > params.seqWrapLimit) return rejectToken(s, out, `seq ${t.seq} beyond the wrap limit`);
  const verdict = duplicateVerdict(a.isLeader, t, s.lastToken);
  if (verdict === 'resend') {
    // The leader is hurrying a rotation I already passed on: re-send my copy.
    s.lastToken.retrans = t.retrans;
    tokenHurry(s, out);
    return rejectToken(s, out, `repeated rotation ${t.arq}, hurried (retrans ${t.retrans})`);
  }
  if (verdict === 'reject') return rejectToken(s, out, `duplicate or stale token arq ${t.arq}`);
  if (s.justInstalled) {
    s.justInstalled = false;
    s.lastToken.aru = 0;
  }
  if (!a.isLeader && t.retrans > 0) s.counters.tokenHurries++;
  s.counters.tokensAccepted++;

  if (t.seq > s.highestSeq) s.highestSeq = t.seq;
  s.receivedTokenRounds++;
  if (s.tokenFirst) {
    s.tokenFirst = false;
    out.push(s.fixed.dataFirst);
  }

  // Retransmissions first, then new packets within flow control.
  const answer = answerRetransmissions(s, out, t.rtr);
  const allowed = visitAllowance(s, t, inRecovery);
  // Accelerated Ring on a lightly loaded ring (the last rotation carried no more than one visit's
  // held-back packets): few sends wait behind this token, so holding mine back for after it
  // overlaps little and makes every receiver wait one token send longer for them (and take the
  // token first, rule 4). They go first, as in the plain ring. Measured on loopback: round trips
  // and light floods both gained; a busy ring keeps the Accelerated Ring's overlap.
  const fresh = sendNewPackets(s, out, allowed, t.flowControl > params.acceleratedWindow);
  const numSent = fresh.packets;
  // the token counts flow-control units: packets of Spread's size (see packetUnits)
  t.flowControl = nextFlowControl(t.flowControl, answer.units, fresh.units, s.lastNumRetrans, s.lastNumSent);
  s.lastNumRetrans = answer.units;
  s.lastNumSent = fresh.units;

  advanceMyAru(s);
  // Accelerated Ring rule 3: packets beyond the token I sent last may still be on the wire.
  const limit = params.acceleratedRing && !inRecovery ? s.lastToken.seq : s.highestSeq;
  const request = buildMyRequest(s, answer.kept, limit, answer.targetDaemon, answer.targetSegment);
  t.rtr = request === undefined ? answer.kept : [...answer.kept, request];
  if (inRecovery && s.myAru === s.highestSeq) {
    // I hold all my old ring can give (holes counted): the recovery-complete marker (6.3)
    s.myAru = s.lastSeq;
    commit(s, out);
  }

  applyAruRules(s, t, inRecovery);
  t.procId = params.selfId;
  t.transmitter = params.selfId;
  if (!inRecovery) t.seq = s.highestSeq;
  if (a.isLeader) {
    t.arq = (t.arq + 1) & 0x0f;
    t.retrans = 0;
  }

  const hold =
    a.isLeader &&
    tokenIsIdle({
      memberState: s.memberState,
      tokenAlive: s.tokenAlive,
      lastTokenRetrans: s.lastToken.retrans,
      aru: s.aru,
      highestSeq: s.highestSeq,
      idleCounter: s.idleCounter,
    });
  if (hold) {
    s.tokenHeld = true;
    s.counters.tokenHolds++;
  } else {
    sendTokenCopies(s, out, t, false);
  }
  s.tokenRounds++;
  if (a.isLeader) out.push(s.fixed.setHurry);
  out.push(s.fixed.setTokenLoss);
  flushPostToken(s, out);

  const aru = stableAru(t.aru, s.lastToken.aru);
  if (aru < s.aru) anomaly(s, out, `aru would decrease from ${s.aru} to ${aru}`);
  else s.aru = aru;
  s.idleCounter = s.highestSeq === s.aru ? s.idleCounter + 1 : 0;
  s.lastToken = t;
  if (params.trace) {
    out.push({
      type: 'trace',
      record: {
        kind: 'tokenVisit',
        arq: t.arq,
        seq: t.seq,
        aru: s.aru,
        myAru: s.myAru,
        sent: numSent,
        retransmitted: answer.numRetrans,
        requested: request === undefined ? 0 : request.seqs.length,
        held: hold,
      },
    });
  }

  if (inRecovery) evsDiscard(s, out);
  else discardUpTo(s, out, s.aru);
  deliverAfterSends(s, out, numSent);
  if (s.memberState === 'EVS' && s.tokenRounds > MAX_EVS_ROUNDS) {
    // Spread's bug workaround: recovery that does not finish is abandoned (3.11)
    s.counters.evsValve++;
    tokenLoss(s, out);
  }
}

/** How many flow-control units this visit may send on token `t` (section 4). */
function visitAllowance(s: RingState, t: Token, inRecovery: boolean): number {
  return flowControlAllowed({
    inRecovery,
    highestSeq: s.highestSeq,
    aru: s.aru,
    window: s.params.window,
    personalWindow: s.params.personalWindow,
    flowControl: t.flowControl,
  });
}

/** The aru rules (3.5) on the token I am about to send: I may write my aru and become its setter. */
function applyAruRules(s: RingState, t: Token, inRecovery: boolean): void {
  if (!setsTokenAru(t, s.myAru, s.params.selfId, inRecovery)) return;
  t.aru = s.myAru;
  t.aruSetter = s.params.selfId;
}

/** After my sends of a visit: the Agreed path, then the early path for the `numSent` packets I just sent. */
function deliverAfterSends(s: RingState, out: RingAction[], numSent: number): void {
  deliverAgreed(s, out);
  deliverReliable(s, out, s.highestSeq - numSent + 1, s.highestSeq);
}

/** Sends the token to my successor; a token of a troubled rotation (RETRANS > 1) goes three times. */
function sendTokenCopies(s: RingState, out: RingAction[], t: Token, hurried: boolean): void {
  const bytes = encodeToken(t);
  const to = s.active.successor;
  s.tokenHeld = false;
  out.push({ type: 'sendToken', to, bytes });
  if (hurried && s.params.wideAreaNetwork && isLastOfMySegment(s)) out.push({ type: 'sendToken', to, bytes });
  if (t.retrans > 1) {
    out.push({ type: 'sendToken', to, bytes });
    out.push({ type: 'sendToken', to, bytes });
  }
}

function isLastOfMySegment(s: RingState): boolean {
  const seg = s.params.segmentOf;
  const mine = seg.get(s.params.selfId);
  return seg.get(s.active.successor) !== mine;
}

/**
 * The leader holds the token of an idle ring and a message of its own is waiting: it finishes the
 * held visit with it instead of releasing the token empty (a deviation from Spread, where the
 * message waits a whole rotation after the release). The held token was never sent, so for the
 * other daemons this is just the visit that carried the message: same rotation (ARQ), same
 * round stamp, flow control and aru set as that visit would have set them.
 */
export function resumeHeldVisit(s: RingState, out: RingAction[]): void {
  const t = s.lastToken;
  s.idleCounter = 0;
  // before the token: the ring was idle, nobody's sends wait behind it
  const fresh = sendNewPackets(s, out, visitAllowance(s, t, false), false, s.tokenRounds - 1);
  t.flowControl += fresh.units;
  s.lastNumSent += fresh.units;
  advanceMyAru(s);
  applyAruRules(s, t, false);
  t.seq = s.highestSeq;
  deliverAfterSends(s, out, fresh.packets);
  s.counters.heldVisitsResumed++;
  if (s.params.trace) out.push({ type: 'trace', record: { kind: 'heldVisitResumed', seq: t.seq, sent: fresh.packets } });
  sendTokenCopies(s, out, t, false);
  out.push(s.fixed.setHurry);
  out.push(s.fixed.setTokenLoss);
}

/**
 * Re-sends the token as I last sent it, without requests (Prot_token_hurry). At the leader this
 * is a new try of the rotation: RETRANS goes up and HURRY is re-armed.
 */
export function tokenHurry(s: RingState, out: RingAction[]): void {
  const t = s.lastToken;
  t.rtr = [];
  if (s.active.isLeader) {
    t.retrans = Math.min(t.retrans + 1, 255);
    out.push(s.fixed.setHurry);
  }
  s.counters.tokenHurries++;
  if (s.params.trace) out.push({ type: 'trace', record: { kind: 'hurry', retrans: t.retrans } });
  sendTokenCopies(s, out, t, true);
}
