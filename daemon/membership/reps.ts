// Representatives and member lists (design 5.5): Insert_rep, Smallest_rep, Sort_reps,
// Smallest_member, Insert_member. Pure functions over the configuration's order.
import { MAX_PROCS_RING, MAX_REPS } from '../wire/constants.ts';
import { RepType, type RepInfo } from '../wire/types.ts';
import type { RingParams } from '../ring/params.ts';

/**
 * Adds `rep` to `reps` (Insert_rep). A POTENTIAL rep is added only if nobody of its segment is
 * listed; a SEG rep replaces a POTENTIAL of its segment or turns the same daemon's RING entry into
 * SEG (it lost its ring); a RING rep replaces a POTENTIAL of its segment or upgrades the same
 * daemon's SEG entry. Otherwise a rep not yet listed is appended (several SEG or RING reps of one
 * segment may coexist). Returns true when the list changed.
 */
export function insertRep(reps: RepInfo[], rep: RepInfo): boolean {
  for (let i = 0; i < reps.length; i++) {
    const r = reps[i]!;
    if (r.segIndex !== rep.segIndex) continue;
    if (rep.type === RepType.POTENTIAL) return false;
    if (r.type === RepType.POTENTIAL) {
      reps[i] = { id: rep.id, type: rep.type, segIndex: rep.segIndex };
      return true;
    }
    if (r.id !== rep.id) continue;
    if (r.type === rep.type) return false;
    if (rep.type === RepType.SEG && r.type === RepType.RING) {
      reps[i] = { ...r, type: RepType.SEG };
      return true;
    }
    if (rep.type === RepType.RING && r.type === RepType.SEG) {
      reps[i] = { ...r, type: RepType.RING };
      return true;
    }
  }
  if (reps.length >= MAX_REPS) return false;
  reps.push({ id: rep.id, type: rep.type, segIndex: rep.segIndex });
  return true;
}

/**
 * Negative when `a` is the smaller rep (Smallest_rep): any SEG rep beats any RING rep (daemons
 * without a ring have nothing to lose, so they drive the merge); among equals the lower segment
 * index, then the lower index in segment. Deviation: Spread leaves two SEG reps of one segment
 * unordered (the first listed wins); we break the tie by index so that the order is total.
 * POTENTIAL reps never compete; they sort last.
 */
export function compareReps(params: RingParams, a: RepInfo, b: RepInfo): number {
  const rank = (r: RepInfo): number => (r.type === RepType.SEG ? 0 : r.type === RepType.RING ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    a.segIndex - b.segIndex ||
    (params.indexInSegment.get(a.id) ?? 0) - (params.indexInSegment.get(b.id) ?? 0)
  );
}

export function smallestRep(params: RingParams, reps: ReadonlyArray<RepInfo>): RepInfo | undefined {
  let best: RepInfo | undefined;
  for (const r of reps) if (best === undefined || compareReps(params, r, best) < 0) best = r;
  return best;
}

export function sortReps(params: RingParams, reps: ReadonlyArray<RepInfo>): RepInfo[] {
  return [...reps].sort((a, b) => compareReps(params, a, b));
}

/** The member lowest in configuration order (Smallest_member). */
export function smallestMember(params: RingParams, members: ReadonlyArray<number>): number | undefined {
  let best: number | undefined;
  for (const m of members) if (best === undefined || params.orderOf.get(m)! < params.orderOf.get(best)!) best = m;
  return best;
}

/** Appends `id` unless listed (Insert_member). */
export function insertMember(members: number[], id: number): boolean {
  if (members.includes(id) || members.length >= MAX_PROCS_RING) return false;
  members.push(id);
  return true;
}

/** The rep that stands for this daemon's segment when nobody else is known (Conf_seg_leader). */
export function potentialRepsFor(params: RingParams, members: ReadonlyArray<number>): RepInfo[] {
  const mySeg = params.segmentOf.get(params.selfId)!;
  const reps: RepInfo[] = [];
  for (let seg = 0; seg < params.numSegments; seg++) {
    if (seg === mySeg) continue;
    // the first member of that segment in my last ring, else its first configured daemon
    const inRing = members.find((m) => params.segmentOf.get(m) === seg);
    const first = inRing ?? params.daemonOrder.find((d) => params.segmentOf.get(d) === seg);
    if (first !== undefined) insertRep(reps, { id: first, type: RepType.POTENTIAL, segIndex: seg });
  }
  return reps;
}
