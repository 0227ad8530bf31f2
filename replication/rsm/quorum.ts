// Primary-component predicates (design 2.6) [core]. Pure functions of membership facts.
import type { Lineage } from './wire.ts';
import type { QuorumPolicy } from './types.ts';

/** A weighted-by-count majority: more than half, or exactly half holding the lowest-named member. */
export function holdsMajorityOf(view: ReadonlySet<string>, of: readonly string[], allowHalfWithLowest: boolean): boolean {
  if (of.length === 0) return false;
  let inside = 0;
  for (const m of of) if (view.has(m)) inside++;
  if (inside * 2 > of.length) return true;
  if (allowHalfWithLowest && inside * 2 === of.length) {
    const lowest = [...of].sort()[0]!;
    return view.has(lowest);
  }
  return false;
}

/** Static majority: the view holds more than half of the configured replica set. Can be decided before any exchange. */
export function isStaticMajority(viewMembers: readonly string[], replicas: readonly string[]): boolean {
  return holdsMajorityOf(new Set(viewMembers), replicas, false);
}

/**
 * Whether view `viewMembers` may become primary, given the lineage L (the last view that may
 * have been activated; undefined = genesis, whose members are the replica set) and the
 * attempts above L that members reported (views that reached level 1 and might be activated
 * by someone we do not hear from). Dynamic linear voting must hold a majority of L and of
 * every such attempt, so two components can never both pass (Yeger Lotem, Keidar, Dolev).
 */
export function isPrimaryView(
  policy: QuorumPolicy,
  viewMembers: readonly string[],
  replicas: readonly string[],
  lineage: Lineage | undefined,
  attemptsAbove: readonly Lineage[],
): boolean {
  if (policy === 'static-majority') return isStaticMajority(viewMembers, replicas);
  const v = new Set(viewMembers);
  if (viewMembers.length < Math.min(policy.minPrimarySize, replicas.length)) return false;
  const lineageMembers = lineage?.members ?? replicas;
  if (!holdsMajorityOf(v, lineageMembers, true)) return false;
  return attemptsAbove.every((a) => holdsMajorityOf(v, a.members, true));
}

/** Ballot order: by number, then by view id. */
export function compareBallot(a: { n: number; view: string }, b: { n: number; view: string }): number {
  if (a.n !== b.n) return a.n - b.n;
  return a.view < b.view ? -1 : a.view > b.view ? 1 : 0;
}
