// Pure checkers over a ring run (design 6.6 items 4, 7, 8, 10, 11 for one fixed ring, and 10.4).
// Each returns a list of violations; an empty list means the property holds.
import type { DeliverRecord, RingRunTrace, SubmitRecord } from './ring-trace.ts';
import { MAX_SEQ_GAP, WATER_MARK } from '../../daemon/ring/index.ts';
import { onePacketReliable } from './evs-checks.ts';

const LIMIT = 5; // violations reported per checker

function submitsByKey(t: RingRunTrace): Map<string, SubmitRecord> {
  const m = new Map<string, SubmitRecord>();
  for (const s of t.submits) m.set(s.key, s);
  return m;
}

/** Every delivered message was submitted, with the same bytes, size, service and originator. */
export function checkIntegrity(t: RingRunTrace): string[] {
  const subs = submitsByKey(t);
  const v: string[] = [];
  for (const list of t.deliveries) {
    for (const d of list) {
      const s = subs.get(d.key);
      if (s === undefined) v.push(`d${d.daemon} delivered ${d.key}, never submitted`);
      else if (!d.payloadOk || d.size !== s.size) v.push(`d${d.daemon} delivered ${d.key} with other bytes (${d.size} vs ${s.size})`);
      else if (d.service !== s.service) v.push(`d${d.daemon} delivered ${d.key} as ${d.service}, sent ${s.service}`);
      else if (d.originator !== s.daemon || d.origin !== s.daemon) v.push(`d${d.daemon} delivered ${d.key} from d${d.originator}`);
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/** No message is delivered twice at a daemon. */
export function checkNoDuplicates(t: RingRunTrace): string[] {
  const v: string[] = [];
  for (const list of t.deliveries) {
    const seen = new Set<string>();
    for (const d of list) {
      if (seen.has(d.key)) v.push(`d${d.daemon} delivered ${d.key} twice`);
      seen.add(d.key);
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/** Nothing is lost: in a fixed ring every submitted message (all Reliable or stronger) reaches every daemon. */
export function checkNoLoss(t: RingRunTrace): string[] {
  const v: string[] = [];
  for (let d = 0; d < t.daemons; d++) {
    const got = new Set(t.deliveries[d]!.map((x) => x.key));
    for (const s of t.submits) {
      if (!got.has(s.key)) v.push(`d${d} never delivered ${s.key} (${s.service}, ${s.size} bytes)`);
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/**
 * One Agreed order: apart from one-packet Reliable messages, every daemon delivers in the same
 * order (each daemon's sequence is a prefix of the longest), and that order follows the ring's
 * positions (seq of the last fragment, index in the packet).
 */
export function checkTotalOrder(t: RingRunTrace): string[] {
  const v: string[] = [];
  const seqs = t.deliveries.map((list) => list.filter((d) => !onePacketReliable(d, t.packetBodyBytes)));
  let longest = seqs[0] ?? [];
  for (const s of seqs) if (s.length > longest.length) longest = s;
  for (const s of seqs) {
    for (let i = 0; i < s.length; i++) {
      if (s[i]!.key !== longest[i]!.key) {
        v.push(`d${s[i]!.daemon} delivered ${s[i]!.key} at position ${i}, d${longest[i]!.daemon} ${longest[i]!.key}`);
        break;
      }
      if (i > 0 && !positionBefore(s[i - 1]!, s[i]!)) {
        v.push(`d${s[i]!.daemon}: ${s[i - 1]!.key}@${s[i - 1]!.seq}.${s[i - 1]!.index} before ${s[i]!.key}@${s[i]!.seq}.${s[i]!.index}`);
        break;
      }
    }
    if (v.length >= LIMIT) return v;
  }
  return v;
}

function positionBefore(a: DeliverRecord, b: DeliverRecord): boolean {
  return a.seq < b.seq || (a.seq === b.seq && a.index < b.index);
}

/**
 * No gaps (6.6 item 8): a daemon that delivers m (not one-packet Reliable) has already
 * delivered every message at a lower position, one-packet Reliable ones included.
 */
export function checkNoGaps(t: RingRunTrace): string[] {
  const v: string[] = [];
  // all positions any daemon delivered, sorted
  const all = new Map<string, DeliverRecord>();
  for (const list of t.deliveries) for (const d of list) if (!all.has(d.key)) all.set(d.key, d);
  const ordered = [...all.values()].sort((a, b) => a.seq - b.seq || a.index - b.index);
  const rank = new Map<string, number>();
  ordered.forEach((d, i) => rank.set(d.key, i));
  for (const list of t.deliveries) {
    const have = new Uint8Array(ordered.length);
    let low = 0; // every rank < low has been delivered here
    for (const d of list) {
      const r = rank.get(d.key)!;
      if (!onePacketReliable(d, t.packetBodyBytes) && low < r) {
        v.push(`d${d.daemon} delivered ${d.key} before ${ordered[low]!.key}, which precedes it`);
        break;
      }
      have[r] = 1;
      while (low < ordered.length && have[low] === 1) low++;
    }
    if (v.length >= LIMIT) return v;
  }
  return v;
}

/** FIFO (6.6 item 10): one originator's messages are delivered in the order it submitted them. */
export function checkFifo(t: RingRunTrace): string[] {
  const v: string[] = [];
  const subs = submitsByKey(t);
  for (const list of t.deliveries) {
    const delivered = new Map<number, Set<number>>();
    const low = new Map<number, number>();
    for (const d of list) {
      const s = subs.get(d.key);
      if (s === undefined) continue;
      let set = delivered.get(s.daemon);
      if (set === undefined) delivered.set(s.daemon, (set = new Set()));
      let l = low.get(s.daemon) ?? 0;
      if (!onePacketReliable(s, t.packetBodyBytes) && l < s.counter) {
        v.push(`d${d.daemon} delivered ${d.key} before ${s.daemon}:${l}`);
        if (v.length >= LIMIT) return v;
      }
      set.add(s.counter);
      while (set.has(l)) l++;
      low.set(s.daemon, l);
    }
  }
  return v;
}

/**
 * Causal order (6.6 item 10): a message submitted by a daemon after it delivered m is
 * delivered after m everywhere (one-packet Reliable messages may overtake and are exempt as
 * the later message).
 */
export function checkCausal(t: RingRunTrace): string[] {
  const v: string[] = [];
  const n = t.daemons;
  const position = t.deliveries.map((list) => {
    const m = new Map<string, number>();
    list.forEach((d, i) => m.set(d.key, i));
    return m;
  });
  // prefixMax[d][e][c]: the latest position at e of the first c messages d delivered
  for (let d = 0; d < n; d++) {
    const mine = t.deliveries[d]!;
    for (let e = 0; e < n; e++) {
      const pos = position[e]!;
      const prefixMax = new Float64Array(mine.length + 1);
      prefixMax[0] = -1;
      for (let c = 0; c < mine.length; c++) {
        const p = pos.get(mine[c]!.key);
        prefixMax[c + 1] = Math.max(prefixMax[c]!, p === undefined ? Infinity : p);
      }
      for (const s of t.submits) {
        if (s.daemon !== d || onePacketReliable(s, t.packetBodyBytes)) continue;
        const at = pos.get(s.key);
        if (at === undefined) continue;
        if (prefixMax[s.deliveredBefore]! > at) {
          v.push(`d${e} delivered ${s.key} before a message d${d} had delivered when it sent ${s.key}`);
          if (v.length >= LIMIT) return v;
        }
      }
    }
  }
  return v;
}

/** Safe (6.6 item 11): a Safe message is delivered only once every daemon holds all its packets. */
export function checkSafe(t: RingRunTrace): string[] {
  const v: string[] = [];
  for (const list of t.deliveries) {
    for (const d of list) {
      if (d.service !== 'SAFE') continue;
      if (d.heldBy === undefined || d.heldBy.length !== t.daemons) {
        v.push(`d${d.daemon} delivered Safe ${d.key} (seqs ${d.firstSeq}..${d.seq}) held only by [${d.heldBy?.join(',')}]`);
        if (v.length >= LIMIT) return v;
      }
    }
  }
  return v;
}

export interface MemoryBounds {
  readonly packetsStored: number;
  readonly downQueue: number;
}

/** Default bounds: the unstable window the gap guard allows, the session layer's WATER_MARK plus one burst. */
export function defaultMemoryBounds(window: number, personalWindow: number, daemons: number): MemoryBounds {
  return { packetsStored: MAX_SEQ_GAP + window + personalWindow * daemons, downQueue: WATER_MARK + 64 };
}

/** Memory per daemon stays bounded, and everything is freed once the ring is idle. */
export function checkMemory(t: RingRunTrace, bounds: MemoryBounds): string[] {
  const v: string[] = [];
  for (const m of t.memory) {
    if (m.maxPacketsStored > bounds.packetsStored) v.push(`d${m.daemon} stored ${m.maxPacketsStored} packets (bound ${bounds.packetsStored})`);
    if (m.maxDownQueue > bounds.downQueue) v.push(`d${m.daemon} down queue reached ${m.maxDownQueue} (bound ${bounds.downQueue})`);
    if (m.maxUpQueueFragments > 100 * t.daemons) v.push(`d${m.daemon} held ${m.maxUpQueueFragments} fragments in reassembly`);
    if (t.finished && m.finalPacketsStored !== 0) v.push(`d${m.daemon} still stores ${m.finalPacketsStored} packets on an idle ring`);
  }
  return v;
}

/** Every check for one fixed-ring run. */
export function checkRingRun(t: RingRunTrace, bounds: MemoryBounds): string[] {
  const v: string[] = [];
  for (const a of t.anomalies.slice(0, LIMIT)) v.push(`anomaly: ${a}`);
  if (t.tokenLosses > 0) v.push(`token lost ${t.tokenLosses} times`);
  if (!t.finished) v.push('liveness: not every message was delivered everywhere before the time limit');
  v.push(
    ...checkIntegrity(t),
    ...checkNoDuplicates(t),
    ...checkNoLoss(t),
    ...checkTotalOrder(t),
    ...checkNoGaps(t),
    ...checkFifo(t),
    ...checkCausal(t),
    ...checkSafe(t),
    ...checkMemory(t, bounds),
  );
  return v;
}
