// Receiving datagrams: the network layer's filters, then data packets (design 3.3). Tokens go
// on to token.ts, HURRY packets to hold.ts, ALIVE/JOIN/REFER, form tokens and foreign packets to
// the membership module.
import { DatagramKind } from '../wire/constants.ts';
import { decodeDataPacket } from '../wire/data-packet.ts';
import { peekEnvelope } from '../wire/envelope.ts';
import { decodeFormToken } from '../wire/form-token.ts';
import { decodeHurry } from '../wire/hurry.ts';
import { decodeAlive, decodeJoin, decodeRefer } from '../wire/membership.ts';
import { decodeToken } from '../wire/token.ts';
import { onFormToken } from '../membership/form.ts';
import { onAlive, onForeign, onJoin, onRefer } from '../membership/messages.ts';
import { formatRingId, ringIdEquals } from '../wire/types.ts';
import type { DataPacket, Envelope } from '../wire/types.ts';
import { MAX_PACKETS_IN_STRUCT } from './constants.ts';
import { deliverAgreed, deliverReliable } from './delivery.ts';
import { onHurry } from './hold.ts';
import type { RingParams } from './params.ts';
import { advanceMyAru, dropped, type RingState } from './state.ts';
import { onToken } from './token.ts';
import type { RingAction } from './types.ts';

/**
 * The network layer's filters (Net_recv): our version, our configuration hash, a configured
 * transmitter, and on the data port never a datagram this daemon sent itself (tokens to self
 * are fine: a one-daemon ring). Returns the envelope, or why the datagram is dropped. The UDP
 * driver applies the same function before queueing, plus its source-address check.
 */
export function screenDatagram(params: RingParams, bytes: Uint8Array, channel: 'data' | 'token'): Envelope | string {
  const env = peekEnvelope(bytes);
  if (typeof env === 'string') return env;
  if (env.configHash !== params.configHash) return `config hash ${env.configHash}`;
  if (!params.segmentOf.has(env.transmitter)) return `unknown transmitter ${env.transmitter}`;
  if (channel === 'data' && env.transmitter === params.selfId) return 'own datagram';
  return env;
}

function screen(s: RingState, out: RingAction[], bytes: Uint8Array, channel: 'data' | 'token'): Envelope | undefined {
  const env = screenDatagram(s.params, bytes, channel);
  if (typeof env === 'string') return dropped(s, out, env), undefined;
  return env;
}

/** A datagram on the data port. */
export function onDataDatagram(s: RingState, out: RingAction[], bytes: Uint8Array): void {
  const env = screen(s, out, bytes, 'data');
  if (env === undefined) return;
  switch (env.kind) {
    case DatagramKind.DATA: {
      const p = decodeDataPacket(bytes);
      if (typeof p === 'string') return dropped(s, out, p);
      return onDataPacket(s, out, p);
    }
    case DatagramKind.HURRY: {
      const h = decodeHurry(bytes);
      if (typeof h === 'string') return dropped(s, out, h);
      return onHurry(s, out, h);
    }
    case DatagramKind.ALIVE: {
      const a = decodeAlive(bytes);
      if (typeof a === 'string') return dropped(s, out, a);
      return onAlive(s, out, a);
    }
    case DatagramKind.JOIN: {
      const j = decodeJoin(bytes);
      if (typeof j === 'string') return dropped(s, out, j);
      return onJoin(s, out, j);
    }
    case DatagramKind.REFER: {
      const r = decodeRefer(bytes);
      if (typeof r === 'string') return dropped(s, out, r);
      return onRefer(s, r);
    }
    default:
      // control packets belong to the monitor (later)
      return dropped(s, out, `datagram kind ${env.kind} not handled`);
  }
}

/** A datagram on the token port. */
export function onTokenDatagram(s: RingState, out: RingAction[], bytes: Uint8Array): void {
  const env = screen(s, out, bytes, 'token');
  if (env === undefined) return;
  if (env.kind === DatagramKind.FORM1 || env.kind === DatagramKind.FORM2) {
    const f = decodeFormToken(bytes);
    if (typeof f === 'string') return dropped(s, out, f);
    return onFormToken(s, out, f);
  }
  if (env.kind !== DatagramKind.TOKEN) return dropped(s, out, `token-port kind ${env.kind}`);
  const t = decodeToken(bytes);
  if (typeof t === 'string') return dropped(s, out, t);
  onToken(s, out, t);
}

export function onDataPacket(s: RingState, out: RingAction[], p: DataPacket): void {
  if (!ringIdEquals(p.ringId, s.ring.ringId)) {
    // Foreign packet: evidence of another ring to merge with.
    dropped(s, out, `packet of foreign ring ${formatRingId(p.ringId)}`);
    return onForeign(s, out, p);
  }
  if (s.tokenAlive) {
    // A live ring is evidence the token is fine.
    out.push(s.fixed.setTokenLoss);
    if (s.active.isLeader) out.push(s.fixed.setHurry);
  }
  if (p.seq <= s.lastDiscarded || s.store.has(p.seq)) {
    s.counters.duplicatePackets++;
    return;
  }
  if (!s.params.segmentOf.has(p.originator)) return dropped(s, out, `unknown originator ${p.originator}`);
  if (s.memberState === 'EVS' && p.seq > s.highestSeq) {
    // Deviation: a late packet of a departed daemon, beyond what FORM2 fixed as the old ring's
    // content; storing it would make this daemon recover a different set than its partners.
    return dropped(s, out, `packet ${p.seq} of the old ring beyond its recovery (${s.highestSeq})`);
  }
  if (p.seq > s.lastDiscarded + MAX_PACKETS_IN_STRUCT) {
    // Cannot be legitimate with the gap guard; dropping is safe (it would be requested again).
    return dropped(s, out, `packet ${p.seq} too far beyond ${s.lastDiscarded}`);
  }
  s.store.set(p.seq, { packet: p, state: 'received' });
  s.counters.packetsReceived++;
  // Accelerated Ring rule 4: my predecessor already passed the token I wait for, so every
  // packet of the previous round has reached me: serve the token first.
  if (
    s.params.acceleratedRing &&
    !s.tokenFirst &&
    p.tokenRound > s.receivedTokenRounds &&
    p.transmitter === s.active.predecessor
  ) {
    s.tokenFirst = true;
    out.push(s.fixed.tokenFirst);
  }
  if (p.seq > s.highestSeq) s.highestSeq = p.seq;
  if (p.seq === s.myAru + 1) {
    advanceMyAru(s);
    deliverAgreed(s, out);
  } else {
    deliverReliable(s, out, p.seq, p.seq);
  }
}

