// Installing a ring from a known member list, without the membership algorithm: for tests and
// benchmarks of the ordering protocol (a static ring). The membership module installs rings
// itself after recovery (design 6.4).
import { ARU_UNSET, NO_DAEMON } from '../wire/constants.ts';
import type { RingId } from '../wire/types.ts';
import { resetToken, ringView, type RingState } from './state.ts';
import { setDeliveryThreshold } from './threshold.ts';
import { onToken } from './token.ts';
import type { DeliveryThreshold, RingAction } from './types.ts';

export interface RingInstall {
  readonly ringId: RingId;
  /** Daemon ids in configuration order; the first is the leader. */
  readonly members: ReadonlyArray<number>;
  readonly threshold?: DeliveryThreshold;
}

export function installRing(s: RingState, out: RingAction[], install: RingInstall): void {
  const params = s.params;
  const members = install.members.map((id) => id >>> 0);
  if (members.length === 0) throw new RangeError('a ring needs members');
  let lastOrder = -1;
  for (const id of members) {
    const order = params.daemonOrder.indexOf(id);
    if (order < 0) throw new RangeError(`ring member ${id} is not configured`);
    if (order <= lastOrder) throw new RangeError('ring members must be distinct and in configuration order');
    lastOrder = order;
  }
  if (install.ringId.procId >>> 0 !== members[0]) throw new RangeError('the ring id must name the leader');
  const view = ringView(params, install.ringId, members);
  s.ring = view;
  s.active = view;
  s.memberState = 'OP';
  s.memb.regularMembers = members;
  s.memb.future = undefined;
  s.memb.commitSet = { members: [params.selfId], trans: 1 };
  s.deliveryConfig = { id: install.ringId, transitional: false };
  s.tokenAlive = true;
  s.justInstalled = true;
  s.highestSeq = 0;
  s.myAru = 0;
  s.aru = 0;
  s.lastDiscarded = 0;
  s.lastDelivered = 0;
  s.lastSeq = 0;
  s.store.clear();
  s.upQueues.clear();
  s.postTokenQueue = [];
  s.downQueue.restartHead();
  s.groupsQueue.restartHead();
  s.lastToken = resetToken(params, install.ringId);
  // The last member creates (here: would have created) the first token: its round count starts at 1.
  s.tokenRounds = view.isLast ? 1 : 0;
  s.receivedTokenRounds = 0;
  s.idleCounter = 0;
  s.lastNumSent = 0;
  s.lastNumRetrans = 0;
  s.tokenHeld = false;
  if (s.tokenFirst) {
    s.tokenFirst = false;
    out.push(s.fixed.dataFirst);
  }
  setDeliveryThreshold(s, out, install.threshold ?? 'UNRELIABLE');
  out.push(s.fixed.setTokenLoss);
  if (view.isLeader) {
    // The first regular token of the ring (5.6 step 8): ARQ 0, seq 0, aru unset, no requests.
    onToken(s, out, {
      configHash: params.configHash,
      transmitter: view.predecessor,
      procId: view.predecessor,
      ringId: install.ringId,
      arq: 0,
      retrans: 0,
      seq: 0,
      aru: ARU_UNSET,
      aruSetter: NO_DAEMON,
      flowControl: 0,
      rtr: [],
    });
  }
}
