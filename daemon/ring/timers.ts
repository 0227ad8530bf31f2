// Timers (TOKEN_LOSS, HURRY, catch-up delivery) and the delivery threshold (design 3.8, 3.10).
import { deliverAgreed, deliverReliable } from './delivery.ts';
import type { RingState } from './state.ts';
import { tokenHurry } from './token.ts';
import type { DeliveryThreshold, RingAction, RingTimerName } from './types.ts';

export function onTimer(s: RingState, out: RingAction[], name: RingTimerName): void {
  switch (name) {
    case 'TOKEN_LOSS':
      if (!s.tokenAlive) return;
      s.tokenAlive = false;
      s.tokenHeld = false;
      setDeliveryThreshold(s, out, 'BLOCK');
      out.push(s.fixed.cancelHurry);
      out.push({ type: 'tokenLost' });
      return;
    case 'HURRY':
      if (s.tokenAlive && s.active.isLeader) tokenHurry(s, out);
      return;
    case 'DELIVER_RELIABLE':
      deliverReliable(s, out, 1, s.highestSeq);
      return;
    case 'DELIVER_AGREED':
      deliverAgreed(s, out);
      return;
  }
}

const OPENNESS: Readonly<Record<DeliveryThreshold, number>> = { UNRELIABLE: 2, AGREED: 1, BLOCK: 0 };

/**
 * Opening the threshold schedules catch-up passes as zero-delay timers, never direct calls, so
 * that delivery is not re-entered from inside another handler (Prot_set_delivery_threshold).
 */
export function setDeliveryThreshold(s: RingState, out: RingAction[], threshold: DeliveryThreshold): void {
  const before = OPENNESS[s.deliveryThreshold];
  const after = OPENNESS[threshold];
  s.deliveryThreshold = threshold;
  if (after > before) {
    if (after >= 2) out.push({ type: 'setTimer', name: 'DELIVER_RELIABLE', ms: 0 });
    if (before === 0) out.push({ type: 'setTimer', name: 'DELIVER_AGREED', ms: 0 });
  } else if (after < before) {
    if (after === 0) out.push({ type: 'cancelTimer', name: 'DELIVER_AGREED' });
    if (before >= 2) out.push({ type: 'cancelTimer', name: 'DELIVER_RELIABLE' });
  }
}

