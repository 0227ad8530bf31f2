// A group view as the membership-stream example prints it, whichever layer it came from: EVS
// membership events (client/rx.ts) or VS views (vs-layer). Pure functions and one operator.
import { map, scan, type OperatorFunction } from 'rxjs';
import type { MembershipEvent } from '../../client/rx.ts';
import type { VsView } from '../../vs-layer/index.ts';

export interface ViewInfo {
  readonly group: string;
  readonly members: readonly string[];
  readonly cause: 'join' | 'leave' | 'disconnect' | 'network';
  /** The joiner, leaver or disconnected member (one-member changes). */
  readonly changed?: string;
  readonly joined: readonly string[];
  readonly left: readonly string[];
}

type Regular = Extract<MembershipEvent, { kind: 'regular' }>;

/**
 * EVS regular memberships as views: the events carry no "previous view", so the operator keeps
 * each group's last member list (scan) to say who joined and who left.
 */
export function evsViews(): OperatorFunction<Regular, ViewInfo> {
  return (source) =>
    source.pipe(
      scan(
        (acc: { last: Map<string, readonly string[]>; view?: ViewInfo }, e: Regular) => {
          const before = acc.last.get(e.group) ?? [];
          const view: ViewInfo = {
            group: e.group,
            members: e.members,
            cause: e.cause,
            ...(e.changed !== undefined ? { changed: e.changed } : {}),
            joined: e.members.filter((m) => !before.includes(m)),
            left: before.filter((m) => !e.members.includes(m)),
          };
          acc.last.set(e.group, e.members);
          return { last: acc.last, view };
        },
        { last: new Map<string, readonly string[]>() },
      ),
      map((acc) => acc.view!),
    );
}

export function vsViewInfo(v: VsView): ViewInfo {
  return { group: v.group, members: v.members, cause: v.cause, ...(v.delta !== undefined ? { changed: v.delta } : {}), joined: v.joined, left: v.left };
}

/** e.g. "chat: 3 members after join of #bob#d1: #alice#d1 #bob#d1 #watch#d1" */
export function viewLine(v: ViewInfo): string {
  const n = `${v.members.length} ${v.members.length === 1 ? 'member' : 'members'}`;
  let why: string;
  if (v.cause !== 'network' && v.changed !== undefined) why = `${v.cause} of ${v.changed}`;
  else {
    const delta = [...(v.joined.length > 0 ? [`joined ${v.joined.join(' ')}`] : []), ...(v.left.length > 0 ? [`left ${v.left.join(' ')}`] : [])];
    why = `network change${delta.length > 0 ? ` (${delta.join('; ')})` : ''}`;
  }
  return `${v.group}: ${n} after ${why}: ${v.members.join(' ')}`;
}
