// The View Synchrony properties (design 5.2 A) as pure functions over recorded streams. Each
// checker returns a list of violations (empty: the property holds); each list is capped.
//
// A member's trace is what its application saw, in order: views, messages, transitional signals
// and self-leaves, plus what it sent and in which view each send went out. After a self-leave a
// member may join again; each stretch between leaves is one incarnation.

export interface SentRecord {
  /** Unique message id. */
  readonly id: string;
  readonly sender: string;
  /** Position in the sender's own send order (FIFO is checked on it). */
  readonly seq: number;
  /** The view the message went out in (the send's receipt). */
  readonly viewId: string;
  /** For a subgroup cast or unicast: who it was addressed to (the others owe it nothing). */
  readonly receivers?: readonly string[];
}

export type TraceEvent =
  | {
      readonly kind: 'view';
      readonly viewId: string;
      readonly members: readonly string[];
      /** The VS transitional set: members that moved here from my previous view with me. */
      readonly cameWithMe?: readonly string[];
    }
  | { readonly kind: 'message'; readonly viewId: string; readonly sender: string; readonly id: string; readonly seq: number }
  | { readonly kind: 'transitional'; readonly viewId: string }
  | { readonly kind: 'left' };

export interface MemberTrace {
  readonly member: string;
  readonly events: readonly TraceEvent[];
  readonly sent: readonly SentRecord[];
}

const LIMIT = 10;

/** One installed view of one incarnation and what was delivered in it. */
interface ViewSpan {
  readonly member: string;
  readonly incarnation: number;
  readonly viewId: string;
  readonly members: readonly string[];
  readonly cameWithMe: readonly string[] | undefined;
  readonly delivered: string[];
  /** The next view of the same incarnation, if any, and its transitional set. */
  next: string | undefined;
  nextCameWithMe: readonly string[] | undefined;
}

/** The next view of `a` and `b` (the same one) lists each in the other's transitional set. */
function cameTogether(a: ViewSpan, b: ViewSpan): boolean {
  const na = a.nextCameWithMe;
  const nb = b.nextCameWithMe;
  return (na === undefined || na.includes(b.member)) && (nb === undefined || nb.includes(a.member));
}

function spans(t: MemberTrace): ViewSpan[] {
  const out: ViewSpan[] = [];
  let inc = 0;
  let cur: ViewSpan | undefined;
  for (const e of t.events) {
    if (e.kind === 'view') {
      const s: ViewSpan = { member: t.member, incarnation: inc, viewId: e.viewId, members: e.members, cameWithMe: e.cameWithMe, delivered: [], next: undefined, nextCameWithMe: undefined };
      if (cur !== undefined) {
        cur.next = e.viewId;
        cur.nextCameWithMe = e.cameWithMe;
      }
      cur = s;
      out.push(s);
    } else if (e.kind === 'message') cur?.delivered.push(e.id);
    else if (e.kind === 'left') {
      inc++;
      cur = undefined;
    }
  }
  return out;
}

class Violations {
  readonly list: string[] = [];
  add(s: string): boolean {
    if (this.list.length < LIMIT) this.list.push(s);
    return this.list.length < LIMIT;
  }
}

/** Everyone who installs a view id saw the same member list, and is in it; no view twice per member. */
export function checkViewAgreement(traces: readonly MemberTrace[]): string[] {
  const v = new Violations();
  const seen = new Map<string, { member: string; members: string }>();
  for (const t of traces) {
    const mine = new Set<string>();
    for (const s of spans(t)) {
      if (mine.has(s.viewId) && !v.add(`${t.member} installed ${s.viewId} twice`)) return v.list;
      mine.add(s.viewId);
      if (!s.members.includes(t.member) && !v.add(`${t.member} installed ${s.viewId} without being in it`)) return v.list;
      const key = s.members.join(',');
      const other = seen.get(s.viewId);
      if (other === undefined) seen.set(s.viewId, { member: t.member, members: key });
      else if (other.members !== key && !v.add(`view ${s.viewId}: ${other.member} saw [${other.members}], ${t.member} saw [${key}]`)) return v.list;
    }
  }
  return v.list;
}

/**
 * Same view sequence: views two members both installed come in the same order; and a member of
 * my transitional set for my next view (it moved with me, by my account) that installed my
 * current view went to that same next view, unless its trace ends there or it left. (A plain
 * member of my next view may never install it: it can be cut off after I installed it. That is
 * why the view then opens with a transitional signal.)
 */
export function checkViewSequence(traces: readonly MemberTrace[]): string[] {
  const v = new Violations();
  const all = traces.map((t) => ({ t, s: spans(t) }));
  const order = all.map(({ s }) => new Map(s.map((x, i) => [x.viewId, i])));
  for (let a = 0; a < all.length; a++) {
    for (let b = a + 1; b < all.length; b++) {
      const common = all[a]!.s.map((x) => x.viewId).filter((id) => order[b]!.has(id));
      for (let i = 1; i < common.length; i++) {
        if (order[b]!.get(common[i - 1]!)! > order[b]!.get(common[i]!)!)
          if (!v.add(`${all[a]!.t.member} installed ${common[i - 1]} before ${common[i]}, ${all[b]!.t.member} the other way round`)) return v.list;
      }
    }
  }
  const byMemberView = new Map<string, ViewSpan>();
  for (const { s } of all) for (const x of s) byMemberView.set(`${x.member}|${x.viewId}`, x);
  for (const { s } of all) {
    for (const x of s) {
      if (x.next === undefined) continue;
      const together = s.find((y) => y.viewId === x.next && y.incarnation === x.incarnation)?.cameWithMe ?? [];
      for (const q of together) {
        const qx = byMemberView.get(`${q}|${x.viewId}`);
        if (q === x.member || qx === undefined || qx.next === undefined || qx.next === x.next) continue;
        if (!v.add(`${x.member} went from ${x.viewId} to ${x.next} with ${q}, but ${q} went from ${x.viewId} to ${qx.next}`)) return v.list;
      }
    }
  }
  return v.list;
}

/** Every delivered message was sent in the view it is delivered in, by a member of that view. */
export function checkSendingView(traces: readonly MemberTrace[]): string[] {
  const v = new Violations();
  const sent = new Map<string, SentRecord>();
  for (const t of traces) for (const s of t.sent) sent.set(s.id, s);
  for (const t of traces) {
    let view: { id: string; members: readonly string[] } | undefined;
    for (const e of t.events) {
      if (e.kind === 'view') view = { id: e.viewId, members: e.members };
      else if (e.kind === 'left') view = undefined;
      else if (e.kind === 'message') {
        const s = sent.get(e.id);
        if (view === undefined) {
          if (!v.add(`${t.member} delivered ${e.id} outside any view`)) return v.list;
        } else if (e.viewId !== view.id) {
          if (!v.add(`${t.member} delivered ${e.id} tagged ${e.viewId} while in ${view.id}`)) return v.list;
        } else if (!view.members.includes(e.sender)) {
          if (!v.add(`${t.member} delivered ${e.id} from ${e.sender}, not in ${view.id}`)) return v.list;
        }
        if (s === undefined) {
          if (!v.add(`${t.member} delivered ${e.id}, never sent`)) return v.list;
        } else if (s.viewId !== e.viewId) {
          if (!v.add(`${t.member} delivered ${e.id} in ${e.viewId}, sent in ${s.viewId}`)) return v.list;
        }
      }
    }
  }
  return v.list;
}

/**
 * Members that move together from one view to the next delivered the same messages in it (of a
 * subgroup cast, those it was addressed to). Moving together: both install the same two views in
 * a row and, where the trace records transitional sets, each is in the other's. (Two members cut
 * apart while in a view keep delivering their own sides' messages in it; when they meet again the
 * next view shows they did not come together.)
 */
export function checkSameDeliveries(traces: readonly MemberTrace[]): string[] {
  const v = new Violations();
  const receiversOf = new Map<string, readonly string[] | undefined>();
  for (const t of traces) for (const s of t.sent) receiversOf.set(s.id, s.receivers);
  const addressedTo = (id: string, member: string): boolean => {
    const r = receiversOf.get(id);
    return r === undefined || r.includes(member);
  };
  const groups = new Map<string, ViewSpan[]>();
  for (const t of traces) {
    for (const s of spans(t)) {
      if (s.next === undefined) continue;
      const key = `${s.viewId}->${s.next}`;
      const l = groups.get(key) ?? [];
      l.push(s);
      groups.set(key, l);
    }
  }
  for (const [key, list] of groups) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const first = list[i]!;
        const other = list[j]!;
        if (!cameTogether(first, other)) continue;
        const a = new Set(first.delivered);
        const b = new Set(other.delivered);
        const missing = [...a].filter((id) => !b.has(id) && addressedTo(id, other.member));
        const extra = [...b].filter((id) => !a.has(id) && addressedTo(id, first.member));
        if (missing.length + extra.length > 0)
          if (!v.add(`${key}: ${other.member} vs ${first.member}: missing [${missing.slice(0, 5).join(' ')}] extra [${extra.slice(0, 5).join(' ')}]`)) return v.list;
      }
    }
  }
  return v.list;
}

/** A sender that moves on to a next view delivered its own messages in the view they were sent in. */
export function checkSelfDelivery(traces: readonly MemberTrace[]): string[] {
  const v = new Violations();
  for (const t of traces) {
    const ss = spans(t);
    const byView = new Map(ss.map((s) => [s.viewId, s]));
    for (const m of t.sent) {
      const s = byView.get(m.viewId);
      if (s === undefined) {
        if (!v.add(`${t.member} sent ${m.id} in ${m.viewId}, a view it never installed`)) return v.list;
        continue;
      }
      const mine = m.receivers === undefined || m.receivers.includes(t.member);
      if (mine && s.next !== undefined && !s.delivered.includes(m.id)) if (!v.add(`${t.member} did not deliver its own ${m.id} in ${m.viewId}`)) return v.list;
    }
  }
  return v.list;
}

type MessageEvent = Extract<TraceEvent, { kind: 'message' }>;

/** Which messages the service levels order: across daemons a one-packet Reliable message may overtake its sender's earlier ones (daemon-protocol.md 3.8). */
export interface OrderRules {
  /** Messages kept in per-sender order (default all). */
  readonly fifo?: (e: MessageEvent) => boolean;
  /** Messages in one total order at every member, such as Agreed and Safe ones (default: not checked). */
  readonly total?: (e: MessageEvent) => boolean;
}

/** Per receiver, each sender's messages (those `fifo` orders) come in the order sent; none twice. */
export function checkFifo(traces: readonly MemberTrace[], fifo: (e: MessageEvent) => boolean = () => true): string[] {
  const v = new Violations();
  for (const t of traces) {
    const last = new Map<string, number>();
    const seen = new Set<string>();
    for (const e of t.events) {
      if (e.kind !== 'message') continue;
      if (seen.has(e.id) && !v.add(`${t.member} delivered ${e.id} twice`)) return v.list;
      seen.add(e.id);
      if (!fifo(e)) continue;
      const prev = last.get(e.sender);
      if (prev !== undefined && e.seq <= prev && !v.add(`${t.member} delivered ${e.sender}'s #${e.seq} after #${prev}`)) return v.list;
      last.set(e.sender, e.seq);
    }
  }
  return v.list;
}

/** Messages `total` orders that two members both delivered come in the same order at both (design 5.2 A.4). */
export function checkTotalOrder(traces: readonly MemberTrace[], total: (e: MessageEvent) => boolean): string[] {
  const v = new Violations();
  const ordered = traces.map((t) => t.events.flatMap((e) => (e.kind === 'message' && total(e) ? [e.id] : [])));
  for (let a = 0; a < traces.length; a++) {
    for (let b = a + 1; b < traces.length; b++) {
      const at = new Map(ordered[b]!.map((id, i) => [id, i]));
      let last = -1;
      let prevId = '';
      for (const id of ordered[a]!) {
        const i = at.get(id);
        if (i === undefined) continue;
        if (i < last && !v.add(`${traces[a]!.member} delivered ${prevId} before ${id}, ${traces[b]!.member} the other way round`)) return v.list;
        last = i;
        prevId = id;
      }
    }
  }
  return v.list;
}

/** All of the above. */
export function checkVs(traces: readonly MemberTrace[], rules: OrderRules = {}): string[] {
  return [
    ...checkViewAgreement(traces),
    ...checkViewSequence(traces),
    ...checkSendingView(traces),
    ...checkSameDeliveries(traces),
    ...checkSelfDelivery(traces),
    ...checkFifo(traces, rules.fifo),
    ...(rules.total === undefined ? [] : checkTotalOrder(traces, rules.total)),
  ];
}
