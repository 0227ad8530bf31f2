// The token's pure rules, each small enough to unit-test on its own (design 3.4, 3.5, 3.10, 4).
import { MAX_SEQ_GAP } from './constants.ts';
import type { MembershipState } from './types.ts';

/**
 * The aru rules (3.5): lower the token's aru to mine when I miss something (1); raise it when I
 * set it last and nobody lowered it since (2); raise it when everybody had everything before
 * this visit, outside recovery (3). Returns true when this daemon writes myAru and becomes setter.
 */
export function setsTokenAru(
  token: { readonly aru: number; readonly aruSetter: number; readonly seq: number },
  myAru: number,
  selfId: number,
  inRecovery: boolean,
): boolean {
  return token.aru > myAru || token.aruSetter === selfId || (token.aru === token.seq && !inRecovery);
}

/**
 * Stability (3.5): the aru a daemon may trust is the smaller of the aru on the token it just
 * sent and the one it sent a rotation earlier: only a value that went once around the ring,
 * past every member who could lower it, proves that everybody holds those packets.
 */
export function stableAru(sentAru: number, previousSentAru: number): number {
  return Math.min(sentAru, previousSentAru);
}

/** What to do with a token after the duplicate filter (3.10). */
export type TokenVerdict = 'accept' | 'reject' | 'resend';

/**
 * Duplicate filter on the leader's rotation counter ARQ (mod 16) and hurry counter RETRANS.
 * The leader accepts only its own rotation coming back. A member rejects a rotation it already
 * processed, but re-sends its own last token when the leader is hurrying (higher RETRANS);
 * it accepts only the next rotation.
 */
export function duplicateVerdict(
  isLeader: boolean,
  token: { readonly arq: number; readonly retrans: number },
  last: { readonly arq: number; readonly retrans: number },
): TokenVerdict {
  if (isLeader) return token.arq === last.arq ? 'accept' : 'reject';
  if (token.arq === last.arq) return token.retrans > last.retrans ? 'resend' : 'reject';
  if (token.arq !== ((last.arq + 1) & 0x0f)) return 'reject';
  return 'accept';
}

/**
 * Hold (3.10, Spread's To_hold_token and Is_token_hold): the ring is idle when a regular token
 * circulates, at most one copy of this rotation went round, everything is stable and two
 * visits brought nothing new. The leader then keeps the token; other daemons use the same test
 * to guess that it does.
 */
export function tokenIsIdle(v: {
  readonly memberState: MembershipState;
  readonly tokenAlive: boolean;
  readonly lastTokenRetrans: number;
  readonly aru: number;
  readonly highestSeq: number;
  readonly idleCounter: number;
}): boolean {
  return (
    v.tokenAlive &&
    (v.memberState === 'OP' || v.memberState === 'GATHER') &&
    v.lastTokenRetrans <= 1 &&
    v.aru === v.highestSeq &&
    v.idleCounter > 1
  );
}

/**
 * Flow control (section 4): how many new packets this visit may send. The token's count holds
 * what the ring sent in the last rotation including my own last share, hence +personalWindow.
 */
export function flowControlAllowed(v: {
  readonly inRecovery: boolean;
  readonly highestSeq: number;
  readonly aru: number;
  readonly window: number;
  readonly personalWindow: number;
  readonly flowControl: number;
}): number {
  if (v.inRecovery) return 0;
  if (v.highestSeq > v.aru + MAX_SEQ_GAP) return 0;
  const n = v.window + v.personalWindow - v.flowControl;
  return Math.max(0, Math.min(n, v.window, v.personalWindow));
}

/** The token's sliding count: drop my share of the previous visit, add this visit's. */
export function nextFlowControl(
  flowControl: number,
  numRetrans: number,
  numSent: number,
  lastNumRetrans: number,
  lastNumSent: number,
): number {
  return flowControl - lastNumRetrans - lastNumSent + numRetrans + numSent;
}
