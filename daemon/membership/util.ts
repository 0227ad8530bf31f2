// Small helpers shared by the membership modules.
import type { RingState } from '../ring/state.ts';
import type { MembershipState, RingAction, RingTimerName } from '../ring/types.ts';

export function setTimer(out: RingAction[], name: RingTimerName, ms: number): void {
  out.push({ type: 'setTimer', name, ms });
}

export function cancelTimer(out: RingAction[], name: RingTimerName): void {
  out.push({ type: 'cancelTimer', name });
}

/** A membership trace record (verbose mode only). */
export function note(s: RingState, out: RingAction[], event: string): void {
  if (s.params.trace) out.push({ type: 'trace', record: { kind: 'membership', event } });
}

export function enter(s: RingState, out: RingAction[], state: MembershipState): void {
  if (s.memberState !== state) note(s, out, `${s.memberState} -> ${state}`);
  s.memberState = state;
}

/**
 * The next value of this daemon's strictly increasing time (design 5.7): at least the injected
 * wall clock, always above every value used before (Last_time_used).
 */
export function nextTime(s: RingState): number {
  const now = Math.floor(s.params.clock());
  const t = Math.max(Number.isFinite(now) ? now : 0, s.memb.lastTimeUsed + 1) >>> 0;
  s.memb.lastTimeUsed = t;
  return t;
}

export function mySegment(s: RingState): number {
  return s.params.segmentOf.get(s.params.selfId)!;
}

/** The first member of a segment in a member list (Conf_seg_leader). */
export function segmentLeader(s: RingState, members: ReadonlyArray<number>, seg: number): number | undefined {
  return members.find((m) => s.params.segmentOf.get(m) === seg);
}
