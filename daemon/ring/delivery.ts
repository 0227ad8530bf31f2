// The three delivery paths (design 3.8) and garbage collection (3.9).
import { alignFragment, packedLength, packedService } from '../wire/data-packet.ts';
import { view } from '../wire/bytes.ts';
import { FRAGMENT_HEADER_BYTES } from '../wire/constants.ts';
import type { DataPacket, RingService } from '../wire/types.ts';
import { anomaly, type HeldPacket, type RingState } from './state.ts';
import type { RingAction } from './types.ts';

function emit(
  s: RingState,
  out: RingAction[],
  p: DataPacket,
  service: RingService,
  payload: Uint8Array,
  firstSeq: number,
  index: number,
  fragments: number,
  early: boolean,
): void {
  s.counters.messagesDelivered++;
  s.counters.delivered[service]++;
  const c = s.deliveryConfig;
  out.push({
    type: 'deliver',
    delivery: {
      type: 'message',
      service,
      payload,
      originator: p.originator,
      ringId: p.ringId,
      seq: p.seq,
      firstSeq,
      index,
      fragments,
      early,
      configId: c.id,
      inTransitional: c.transitional,
    },
  });
}

/**
 * Hands up what a packet completes: its first fragment (a whole message, or the piece that ends
 * a multi-packet one), then the whole messages packed behind it, in that order (Deliver_packet).
 */
export function deliverPacket(s: RingState, out: RingAction[], entry: HeldPacket, early: boolean): void {
  const p = entry.packet;
  entry.state = 'delivered';
  const first = view(p.body, 0, p.firstFragmentLength);
  const index = p.firstFragmentIndex;
  if (index === -1) {
    // A whole message never touches the up queue, so an early Reliable one cannot interleave
    // with a half-built message of the same originator.
    emit(s, out, p, p.service, first, p.seq, 0, 1, early);
  } else {
    const n = index < 0 ? -index : index;
    let q = s.upQueues.get(p.originator);
    const have = q === undefined ? 0 : q.parts.length;
    if (n !== have + 1) {
      anomaly(s, out, `fragment ${index} of daemon ${p.originator} at seq ${p.seq} follows ${have} fragments`);
      s.upQueues.delete(p.originator);
      q = undefined;
    }
    if (n === 1 || q !== undefined) {
      if (q === undefined) {
        q = { parts: [], bytes: 0, firstSeq: p.seq };
        s.upQueues.set(p.originator, q);
      }
      q.parts.push(first);
      q.bytes += first.length;
      if (index < 0) {
        s.upQueues.delete(p.originator);
        emit(s, out, p, p.service, Buffer.concat(q.parts, q.bytes), q.firstSeq, 0, n, early);
      }
    }
  }
  const body = p.body;
  let pos = p.firstFragmentLength;
  for (let k = 1; pos < body.length; k++) {
    pos = alignFragment(pos);
    const length = packedLength(body, pos);
    const start = pos + FRAGMENT_HEADER_BYTES;
    emit(s, out, p, packedService(body, pos), view(body, start, start + length), p.seq, k, 1, early);
    pos = start + length;
  }
}

/**
 * Reliable early path: a RELIABLE packet whose first fragment is a whole message goes up on
 * receipt, with whatever is packed behind it (all RELIABLE by the packing rule).
 */
export function deliverReliable(s: RingState, out: RingAction[], from: number, to: number): void {
  if (s.memberState === 'EVS' || s.deliveryThreshold !== 'UNRELIABLE') return;
  if (from <= s.lastDelivered) from = s.lastDelivered + 1;
  for (let seq = from; seq <= to; seq++) {
    const e = s.store.get(seq);
    if (e === undefined || e.state !== 'received') continue;
    if (e.packet.service === 'RELIABLE' && e.packet.firstFragmentIndex === -1) deliverPacket(s, out, e, true);
  }
}

/** Agreed path: in seq order up to myAru, every packet that is not SAFE; stop at the first SAFE. */
export function deliverAgreed(s: RingState, out: RingAction[]): void {
  if (s.myAru <= s.lastDelivered) return;
  if (s.memberState === 'EVS' || s.deliveryThreshold === 'BLOCK') return;
  for (let seq = s.lastDelivered + 1; seq <= s.myAru; seq++) {
    const e = s.store.get(seq);
    if (e === undefined || e.state === 'hole') {
      anomaly(s, out, `agreed delivery reached ${seq} <= myAru ${s.myAru} but it is not stored`);
      return;
    }
    if (e.state === 'received') {
      if (e.packet.service === 'SAFE') return;
      deliverPacket(s, out, e, false);
    } else if (e.packet.service !== 'RELIABLE') {
      anomaly(s, out, `packet ${seq} (${e.packet.service}) was delivered before the agreed path reached it`);
    }
    s.lastDelivered = seq;
  }
}

/**
 * Safe path and garbage collection (Discard_packets): every stable packet not yet delivered is
 * delivered in seq order (Safe ones, and whatever waited behind them), then freed.
 */
export function discardUpTo(s: RingState, out: RingAction[], aru: number): void {
  if (aru <= s.lastDiscarded) return;
  for (let seq = s.lastDiscarded + 1; seq <= aru; seq++) {
    const e = s.store.get(seq);
    if (e === undefined) {
      anomaly(s, out, `stable packet ${seq} (aru ${aru}) is not stored`);
      continue;
    }
    if (e.state === 'hole') anomaly(s, out, `stable packet ${seq} (aru ${aru}) is a hole`);
    else if (e.state === 'received') deliverPacket(s, out, e, false);
    s.store.delete(seq);
  }
  s.lastDiscarded = aru;
  if (s.lastDelivered < aru) s.lastDelivered = aru;
}
