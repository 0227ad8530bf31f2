// Retransmission requests and answers on the token (design 3.6, protocol.c: Answer_retrans).
import { MAX_TOKEN_BYTES, NO_DAEMON, NO_SEGMENT, RTR_ENTRY_HEADER_BYTES } from '../wire/constants.ts';
import { packetUnits } from '../wire/data-packet.ts';
import { stampSender } from '../wire/envelope.ts';
import { tokenBytes } from '../wire/token.ts';
import { ringIdEquals } from '../wire/types.ts';
import type { RtrEntry } from '../wire/types.ts';
import { anomaly, type RingState } from './state.ts';
import type { RingAction } from './types.ts';

export interface RetransAnswer {
  /** Entries of other rings, copied unchanged (only during recovery). */
  readonly kept: RtrEntry[];
  readonly numRetrans: number;
  /** The retransmitted packets' flow-control weight (see packetUnits). */
  readonly units: number;
  /** Whom answers to my own request go to: me, or nobody in particular when others miss them too. */
  readonly targetDaemon: number;
  readonly targetSegment: number;
}

/**
 * Answers every request of my ring that I can, before any new packet is sent. Entries of my ring
 * are then dropped: what I could not answer I miss too, so I re-list it in my own request,
 * which then must go to more than one daemon.
 */
export function answerRetransmissions(s: RingState, out: RingAction[], rtr: ReadonlyArray<RtrEntry>): RetransAnswer {
  const self = s.params.selfId;
  const mySegment = s.params.segmentOf.get(self)!;
  const kept: RtrEntry[] = [];
  let numRetrans = 0;
  let units = 0;
  let targetDaemon = self;
  let targetSegment = mySegment;
  for (const e of rtr) {
    if (!ringIdEquals(e.ringId, s.ring.ringId)) {
      kept.push(e);
      continue;
    }
    for (const seq of e.seqs) {
      if (seq <= s.aru) {
        anomaly(s, out, `retransmission of ${seq} requested while aru is ${s.aru}`);
        continue;
      }
      const stored = s.store.get(seq);
      if (stored === undefined || stored.state === 'hole') {
        targetDaemon = NO_DAEMON;
        if (e.targetSegment !== mySegment) targetSegment = NO_SEGMENT;
        continue;
      }
      const bytes = stored.packet.datagram;
      stampSender(bytes, s.params.configHash, self);
      if (e.targetDaemon !== NO_DAEMON) {
        if (e.targetDaemon === self) continue;
        out.push({ type: 'unicast', to: e.targetDaemon, bytes });
      } else {
        // Segment and ring broadcast coincide on one segment; routing to other segments comes later.
        out.push({ type: 'broadcast', bytes });
      }
      numRetrans++;
      units += packetUnits(bytes.length);
    }
  }
  s.counters.retransmissions += numRetrans;
  return { kept, numRetrans, units, targetDaemon, targetSegment };
}

/**
 * My request: every seq in (myAru, limit] I do not hold, as many as fit in one token datagram
 * beside the kept entries; later rotations ask for the rest.
 */
export function buildMyRequest(
  s: RingState,
  kept: ReadonlyArray<RtrEntry>,
  limit: number,
  targetDaemon: number,
  targetSegment: number,
): RtrEntry | undefined {
  if (s.myAru >= limit) return undefined;
  const room = Math.floor((MAX_TOKEN_BYTES - tokenBytes(kept) - RTR_ENTRY_HEADER_BYTES) / 4);
  if (room < 1) return undefined;
  const seqs: number[] = [];
  for (let seq = s.myAru + 1; seq <= limit && seqs.length < room; seq++) {
    if (!s.store.has(seq)) seqs.push(seq);
  }
  if (seqs.length === 0) return undefined;
  s.counters.retransmissionRequests += seqs.length;
  return { ringId: s.ring.ringId, targetDaemon, targetSegment, seqs };
}
