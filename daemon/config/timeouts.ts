// The membership timeouts' default sets (design 5.9): the guide's ("guide", our default) and the
// Spread 5.0.1 source's ("spread5"), each for one segment ("local") or several ("wide").
import type { MembershipTimeouts } from './model.ts';

export type TimeoutSetName = 'guide' | 'spread5';

/** One default set: for one segment (local) and for several (wide). */
export interface TimeoutSet {
  readonly local: MembershipTimeouts;
  readonly wide: MembershipTimeouts;
}

export const GUIDE_TIMEOUTS: TimeoutSet = Object.freeze({
  local: Object.freeze({
    tokenMs: 5000,
    hurryMs: 2000,
    aliveMs: 1000,
    joinMs: 1000,
    repMs: 2500,
    segMs: 2000,
    gatherMs: 5000,
    formMs: 5000,
    lookupMs: 60000,
  }),
  wide: Object.freeze({
    tokenMs: 20000,
    hurryMs: 6000,
    aliveMs: 1000,
    joinMs: 1000,
    repMs: 5000,
    segMs: 2000,
    gatherMs: 10000,
    formMs: 10000,
    lookupMs: 90000,
  }),
});

/** 5.0.1 divides every guide value by four, except Lookup, which is halved. */
export const SPREAD5_TIMEOUTS: TimeoutSet = Object.freeze({
  local: Object.freeze({ ...scaleTimeouts(GUIDE_TIMEOUTS.local, 0.25), lookupMs: 30000 }),
  wide: Object.freeze({ ...scaleTimeouts(GUIDE_TIMEOUTS.wide, 0.25), lookupMs: 45000 }),
});

export function defaultTimeouts(set: TimeoutSetName, wideAreaNetwork: boolean): MembershipTimeouts {
  const table = set === 'guide' ? GUIDE_TIMEOUTS : SPREAD5_TIMEOUTS;
  return wideAreaNetwork ? table.wide : table.local;
}

/** All nine multiplied by one factor (rounded, at least 1 ms): keeps the proportions, for tests. */
export function scaleTimeouts(t: MembershipTimeouts, factor: number): MembershipTimeouts {
  const s = (ms: number): number => Math.max(1, Math.round(ms * factor));
  return {
    tokenMs: s(t.tokenMs),
    hurryMs: s(t.hurryMs),
    aliveMs: s(t.aliveMs),
    joinMs: s(t.joinMs),
    repMs: s(t.repMs),
    segMs: s(t.segMs),
    gatherMs: s(t.gatherMs),
    formMs: s(t.formMs),
    lookupMs: s(t.lookupMs),
  };
}

/** Option name -> field, in the order Spread lists them. */
export const TIMEOUT_OPTIONS: ReadonlyArray<readonly [string, keyof MembershipTimeouts]> = [
  ['TokenTimeout', 'tokenMs'],
  ['HurryTimeout', 'hurryMs'],
  ['AliveTimeout', 'aliveMs'],
  ['JoinTimeout', 'joinMs'],
  ['RepTimeout', 'repMs'],
  ['SegTimeout', 'segMs'],
  ['GatherTimeout', 'gatherMs'],
  ['FormTimeout', 'formMs'],
  ['LookupTimeout', 'lookupMs'],
];
