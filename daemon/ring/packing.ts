// Cutting the down queue into packets and sending them (design 3.7, Send_new_packets), and the
// Accelerated Ring's post-token queue (3.12, Prot_queue_bcast / Prot_flush_bcast).
import { DATA_HEADER_BYTES, PACKET_BODY_BYTES } from '../wire/constants.ts';
import { encodeDataPacket, packableTogether, packedCost, packetUnits, TOKEN_ROUND_OFFSET, type PackedMessage } from '../wire/data-packet.ts';
import { view, writeU32 } from '../wire/bytes.ts';
import type { DataPacket } from '../wire/types.ts';
import { fragmentOf } from './down-queue.ts';
import { sendQueue, type RingState } from './state.ts';
import type { RingAction } from './types.ts';

export interface NewPackets {
  readonly packets: number;
  /** Their flow-control weight (see packetUnits). */
  readonly units: number;
}

/**
 * Sends new packets while their weight is below `allowed` (flow-control units). Each starts with the next fragment of the head message and
 * takes its service; when that fragment ends its message, further one-fragment messages of a
 * compatible service are packed behind it while they fit. Each packet is stored as received (my
 * own packets count toward myAru) and broadcast, or, when `holdBack` lets the Accelerated Ring
 * keep this visit's last packets for after the token, queued. Packets broadcast now carry `round`
 * (3.12 rule 2): the visit's round, which a resumed held visit (hold.ts) gives explicitly.
 */
export function sendNewPackets(s: RingState, out: RingAction[], allowed: number, holdBack = true, round = s.tokenRounds): NewPackets {
  const params = s.params;
  const queue = sendQueue(s);
  let sent = 0;
  let units = 0;
  while (units < allowed) {
    const head = queue.peek();
    if (head === undefined) break;
    const service = head.message.service;
    const first = fragmentOf(head.message.payload, head.nextFragment, params.packetBodyBytes);
    head.nextFragment++;
    const ended = head.nextFragment === head.fragments;
    const firstFragmentIndex = ended ? -head.fragments : head.nextFragment;
    let packed: PackedMessage[] | undefined;
    if (ended) {
      queue.shift();
      let bodyLength = first.length;
      // Packed messages stay within what flow control still allows this visit, so a big packet
      // does not carry more than the windows mean.
      const bodyLimit = Math.min(params.packetBodyBytes, Math.max(first.length, (allowed - units) * PACKET_BODY_BYTES));
      for (;;) {
        const next = queue.peek();
        if (next === undefined || next.fragments !== 1 || !packableTogether(service, next.message.service)) break;
        const cost = packedCost(bodyLength, next.message.payload.length);
        if (bodyLength + cost > bodyLimit) break;
        (packed ??= []).push(next.message);
        bodyLength += cost;
        queue.shift();
      }
    }
    const seq = ++s.highestSeq;
    const ringId = s.ring.ringId;
    if (params.traceSends && ended) {
      out.push({ type: 'trace', record: { kind: 'sent', ringId, seq, index: 0, payload: head.message.payload } });
      packed?.forEach((m, k) => out.push({ type: 'trace', record: { kind: 'sent', ringId, seq, index: k + 1, payload: m.payload } }));
    }
    const datagram = encodeDataPacket(
      { service, configHash: params.configHash, transmitter: params.selfId, originator: params.selfId, ringId, seq, tokenRound: round, firstFragmentIndex },
      first,
      packed,
    );
    // Same field order as decodeDataPacket's result: one object shape for every stored packet.
    const packet: DataPacket = {
      service,
      routed: false,
      configHash: params.configHash,
      transmitter: params.selfId,
      originator: params.selfId,
      ringId,
      seq,
      tokenRound: round,
      firstFragmentIndex,
      firstFragmentLength: first.length,
      body: view(datagram, DATA_HEADER_BYTES),
      datagram,
    };
    s.store.set(seq, { packet, state: 'received' });
    if (holdBack) queueBroadcast(s, out, datagram);
    else broadcastNow(s, out, datagram, round);
    sent++;
    units += packetUnits(datagram.length);
  }
  s.counters.packetsSent += sent;
  return { packets: sent, units };
}

/** Stamps the round at the moment of broadcast: post-token packets carry the next round (3.12 rule 2). */
function broadcastNow(s: RingState, out: RingAction[], datagram: Uint8Array, round = s.tokenRounds): void {
  writeU32(datagram, TOKEN_ROUND_OFFSET, round);
  out.push({ type: 'broadcast', bytes: datagram });
}

/**
 * Plain ring: broadcast at once. Accelerated Ring outside recovery: keep the last
 * AcceleratedWindow packets of this visit for after the token, broadcast the older ones now.
 */
function queueBroadcast(s: RingState, out: RingAction[], datagram: Uint8Array): void {
  const window = s.params.acceleratedWindow;
  if (!s.params.acceleratedRing || window <= 0 || s.memberState === 'EVS') {
    broadcastNow(s, out, datagram);
    return;
  }
  s.postTokenQueue.push(datagram);
  while (s.postTokenQueue.length > window) broadcastNow(s, out, s.postTokenQueue.shift()!);
}

/** Broadcasts what was held back for after the token (called right after the token is sent). */
export function flushPostToken(s: RingState, out: RingAction[]): void {
  if (s.postTokenQueue.length === 0) return;
  const queued = s.postTokenQueue;
  s.postTokenQueue = [];
  for (const d of queued) broadcastNow(s, out, d);
}
