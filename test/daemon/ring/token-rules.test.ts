// The pure token rules, case by case (design 3.4, 3.5, 3.10, 4).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  duplicateVerdict,
  flowControlAllowed,
  nextFlowControl,
  setsTokenAru,
  stableAru,
  tokenIsIdle,
} from '../../../daemon/ring/token-rules.ts';
import { ARU_UNSET, NO_DAEMON } from '../../../daemon/wire/index.ts';

describe('aru rules (3.5)', () => {
  const me = 7;
  test('rule 1: a token aru above my myAru is lowered by me', () => {
    assert.equal(setsTokenAru({ aru: 10, aruSetter: 3, seq: 12 }, 9, me, false), true);
    assert.equal(setsTokenAru({ aru: 9, aruSetter: 3, seq: 12 }, 9, me, false), false);
    assert.equal(setsTokenAru({ aru: 5, aruSetter: 3, seq: 12 }, 9, me, false), false, 'never raised by a non-setter');
  });
  test('rule 2: the setter may raise it (nobody lowered it since)', () => {
    assert.equal(setsTokenAru({ aru: 5, aruSetter: me, seq: 12 }, 9, me, false), true);
  });
  test('rule 3: aru == seq lets anyone raise it, except in recovery', () => {
    assert.equal(setsTokenAru({ aru: 12, aruSetter: 3, seq: 12 }, 14, me, false), true);
    assert.equal(setsTokenAru({ aru: 12, aruSetter: 3, seq: 12 }, 14, me, true), false);
  });
  test('the first token of a ring (aru unset, no setter) is always lowered', () => {
    assert.equal(setsTokenAru({ aru: ARU_UNSET, aruSetter: NO_DAEMON, seq: 0 }, 0, me, false), true);
  });
});

describe('stability (3.5)', () => {
  test('the min of the aru just sent and the one sent a rotation earlier', () => {
    assert.equal(stableAru(20, 15), 15);
    assert.equal(stableAru(15, 20), 15);
    assert.equal(stableAru(0, 0), 0);
  });
});

describe('duplicate filter (3.10)', () => {
  test('the leader accepts only its own rotation coming back', () => {
    assert.equal(duplicateVerdict(true, { arq: 4, retrans: 0 }, { arq: 4, retrans: 0 }), 'accept');
    assert.equal(duplicateVerdict(true, { arq: 4, retrans: 2 }, { arq: 4, retrans: 0 }), 'accept');
    assert.equal(duplicateVerdict(true, { arq: 3, retrans: 0 }, { arq: 4, retrans: 0 }), 'reject');
  });
  test('a member accepts only the next rotation, wrapping at 16', () => {
    assert.equal(duplicateVerdict(false, { arq: 5, retrans: 0 }, { arq: 4, retrans: 0 }), 'accept');
    assert.equal(duplicateVerdict(false, { arq: 0, retrans: 0 }, { arq: 15, retrans: 0 }), 'accept');
    assert.equal(duplicateVerdict(false, { arq: 6, retrans: 0 }, { arq: 4, retrans: 0 }), 'reject');
    assert.equal(duplicateVerdict(false, { arq: 3, retrans: 0 }, { arq: 4, retrans: 0 }), 'reject');
    assert.equal(duplicateVerdict(false, { arq: 15, retrans: 0 }, { arq: 0, retrans: 0 }), 'reject');
  });
  test('a member that already passed a rotation re-sends its copy only when the leader hurries', () => {
    assert.equal(duplicateVerdict(false, { arq: 4, retrans: 1 }, { arq: 4, retrans: 0 }), 'resend');
    assert.equal(duplicateVerdict(false, { arq: 4, retrans: 2 }, { arq: 4, retrans: 1 }), 'resend');
    assert.equal(duplicateVerdict(false, { arq: 4, retrans: 1 }, { arq: 4, retrans: 1 }), 'reject');
    assert.equal(duplicateVerdict(false, { arq: 4, retrans: 0 }, { arq: 4, retrans: 0 }), 'reject');
  });
});

describe('hold (3.10)', () => {
  const idle = { memberState: 'OP' as const, tokenAlive: true, lastTokenRetrans: 0, aru: 9, highestSeq: 9, idleCounter: 2 };
  test('idle: everything stable, two quiet visits, at most one copy of the rotation', () => {
    assert.equal(tokenIsIdle(idle), true);
    assert.equal(tokenIsIdle({ ...idle, lastTokenRetrans: 1 }), true);
  });
  test('any one condition missing means not idle', () => {
    assert.equal(tokenIsIdle({ ...idle, idleCounter: 1 }), false);
    assert.equal(tokenIsIdle({ ...idle, aru: 8 }), false);
    assert.equal(tokenIsIdle({ ...idle, lastTokenRetrans: 2 }), false);
    assert.equal(tokenIsIdle({ ...idle, memberState: 'EVS' }), false);
    assert.equal(tokenIsIdle({ ...idle, tokenAlive: false }), false);
    assert.equal(tokenIsIdle({ ...idle, memberState: 'GATHER' }), true, 'GATHER with a live token');
  });
});

describe('flow control (4)', () => {
  const base = { inRecovery: false, highestSeq: 100, aru: 100, window: 160, personalWindow: 20, flowControl: 0 };
  test('a lone busy daemon sends its personal window each visit', () => {
    assert.equal(flowControlAllowed(base), 20);
    // its own last 20 are still counted on the token: 160 + 20 - 20 = 160, capped at 20
    assert.equal(flowControlAllowed({ ...base, flowControl: 20 }), 20);
  });
  test('a busy ring shares Window', () => {
    assert.equal(flowControlAllowed({ ...base, flowControl: 170 }), 10);
    assert.equal(flowControlAllowed({ ...base, flowControl: 180 }), 0);
    assert.equal(flowControlAllowed({ ...base, flowControl: 400 }), 0);
  });
  test('Window below PersonalWindow caps too', () => {
    assert.equal(flowControlAllowed({ ...base, window: 5, personalWindow: 20, flowControl: 0 }), 5);
  });
  test('MAX_SEQ_GAP: no new packets while highestSeq > aru + 1600', () => {
    assert.equal(flowControlAllowed({ ...base, highestSeq: 1700, aru: 100 }), 20);
    assert.equal(flowControlAllowed({ ...base, highestSeq: 1701, aru: 100 }), 0);
  });
  test('no new packets in recovery', () => {
    assert.equal(flowControlAllowed({ ...base, inRecovery: true }), 0);
  });
  test('the sliding count replaces my previous share with this one', () => {
    assert.equal(nextFlowControl(100, 2, 10, 5, 20), 87);
    assert.equal(nextFlowControl(0, 0, 20, 0, 0), 20);
  });
});
