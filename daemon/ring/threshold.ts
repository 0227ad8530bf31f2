// The delivery threshold (design 3.8, Prot_set_delivery_threshold).
import type { RingState } from './state.ts';
import type { DeliveryThreshold, RingAction } from './types.ts';

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
