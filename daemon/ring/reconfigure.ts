// Live reconfiguration (Spread 4's reload of spread.conf): the ring takes the parameters of the
// reloaded file and runs the membership algorithm at once, as on a token loss. The new file's
// configuration hash keeps daemons that still run the old file apart until they reload too;
// the daemons that move together recover the old ring's messages as on any membership change.
import { tokenLoss } from '../membership/transitions.ts';
import type { RingParams } from './params.ts';
import { fixedActions, type RingState } from './state.ts';
import type { RingAction } from './types.ts';

export function reconfigureRing(s: RingState, out: RingAction[], next: RingParams): void {
  s.params = keepDeparted(next, s.params);
  s.fixed = fixedActions(s.params);
  tokenLoss(s, out);
}

/**
 * Daemons of the old file that the new one removes may still be members of the ring being left
 * and of its recovery: they stay known (segment, order) so every lookup stays total. Nothing
 * from them gets in: their datagrams carry the old configuration hash. The packet size stays
 * what it was, because the down queue's messages are already cut to it.
 */
function keepDeparted(next: RingParams, prev: RingParams): RingParams {
  const segmentOf = new Map(next.segmentOf);
  const indexInSegment = new Map(next.indexInSegment);
  const orderOf = new Map(next.orderOf);
  for (const id of prev.daemonOrder) {
    if (segmentOf.has(id)) continue;
    segmentOf.set(id, prev.segmentOf.get(id)!);
    indexInSegment.set(id, prev.indexInSegment.get(id)!);
    orderOf.set(id, next.daemonOrder.length + prev.orderOf.get(id)!);
  }
  return { ...next, segmentOf, indexInSegment, orderOf, packetBodyBytes: prev.packetBodyBytes };
}
