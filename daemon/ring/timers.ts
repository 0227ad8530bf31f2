// Timers (design 1.5, 10.1): the ordering module's (HURRY, catch-up delivery) and the
// membership module's (TOKEN_LOSS and the rest), dispatched by name.
import { onMembershipTimer } from '../membership/transitions.ts';
import { deliverAgreed, deliverReliable } from './delivery.ts';
import type { RingState } from './state.ts';
import { tokenHurry } from './token.ts';
import type { RingAction, RingTimerName } from './types.ts';

export { setDeliveryThreshold } from './threshold.ts';

export function onTimer(s: RingState, out: RingAction[], name: RingTimerName): void {
  switch (name) {
    case 'HURRY':
      if (s.tokenAlive && s.active.isLeader) tokenHurry(s, out);
      return;
    case 'DELIVER_RELIABLE':
      deliverReliable(s, out, 1, s.highestSeq);
      return;
    case 'DELIVER_AGREED':
      deliverAgreed(s, out);
      return;
    default:
      onMembershipTimer(s, out, name);
  }
}
