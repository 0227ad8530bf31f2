// Hold and wake (design 3.10): the leader keeps the token of an idle ring; a daemon with a new
// message wakes it, by HURRY packet or, at the leader, at once (Prot_new_message, Handle_hurry):
// the leader then finishes its held visit with the message (token.ts resumeHeldVisit).
import { MAX_RING_PAYLOAD } from '../wire/constants.ts';
import { encodeHurry } from '../wire/hurry.ts';
import { formatRingId, ringIdEquals, RING_SERVICES } from '../wire/types.ts';
import type { HurryPacket } from '../wire/types.ts';
import { dropped, sendQueue, type RingState } from './state.ts';
import { resumeHeldVisit, tokenHurry } from './token.ts';
import { tokenIsIdle } from './token-rules.ts';
import type { DownQueueName, RingAction, RingMessage } from './types.ts';

/** Other daemons' view of the hold: the same test as the leader's (Is_token_hold). */
function tokenSeemsHeld(s: RingState): boolean {
  return tokenIsIdle({
    memberState: s.memberState,
    tokenAlive: s.tokenAlive,
    lastTokenRetrans: s.lastToken.retrans,
    aru: s.aru,
    highestSeq: s.highestSeq,
    idleCounter: s.idleCounter,
  });
}

/** The leader releases a held token when a ring member has something to send (Handle_hurry). */
export function onHurry(s: RingState, out: RingAction[], h: HurryPacket): void {
  if (!ringIdEquals(h.ringId, s.active.ringId)) return dropped(s, out, `hurry for ring ${formatRingId(h.ringId)}`);
  if (!s.active.isLeader || !s.tokenAlive) return;
  if (!s.active.members.includes(h.transmitter)) return dropped(s, out, `hurry from non-member ${h.transmitter}`);
  if (s.tokenHeld) return releaseHeldToken(s, out);
  // The token is still on its way round: a member judged it held one visit early (its idle
  // count lags the leader's). Without this the leader would hold at its next visit and the
  // member's message would wait for the HURRY timer.
  s.idleCounter = 0;
}

function releaseHeldToken(s: RingState, out: RingAction[]): void {
  // Somebody wants to send: do not hold again until everyone had a chance.
  s.idleCounter = 0;
  tokenHurry(s, out);
}

/** A message for a down queue; wakes a held token when it is the first one the token will drain (Prot_new_message). */
export function onSubmit(s: RingState, out: RingAction[], m: RingMessage, queue: DownQueueName = 'normal'): void {
  const n = m.payload.length;
  if (n < 1 || n > MAX_RING_PAYLOAD) throw new RangeError(`ring message of ${n} bytes (1..${MAX_RING_PAYLOAD})`);
  if (!RING_SERVICES.includes(m.service)) throw new RangeError(`ring service ${String(m.service)}`);
  const q = queue === 'groups' ? s.groupsQueue : s.downQueue;
  q.push(m);
  if (q !== sendQueue(s) || q.length !== 1) return;
  wakeHeldToken(s, out);
}

/** The switch between the two down queues (design 7.6); wakes a held token if the other queue has work. */
export function useGroupsQueue(s: RingState, out: RingAction[], on: boolean): void {
  if (s.usingGroupsQueue === on) return;
  s.usingGroupsQueue = on;
  if (sendQueue(s).length > 0) wakeHeldToken(s, out);
}

function wakeHeldToken(s: RingState, out: RingAction[]): void {
  if (s.active.isLeader) {
    if (!s.tokenHeld || !s.tokenAlive) return;
    if (s.memberState === 'OP') resumeHeldVisit(s, out);
    else releaseHeldToken(s, out);
  } else if (tokenSeemsHeld(s)) {
    const h: HurryPacket = { configHash: s.params.configHash, transmitter: s.params.selfId, ringId: s.active.ringId };
    out.push({ type: 'unicast', to: s.active.leader, bytes: encodeHurry(h) });
    s.counters.hurryPacketsSent++;
  }
}

