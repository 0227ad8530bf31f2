// EVS at group level, over the logs of recording clients (test/support/evs-client-log.ts) of a run
// with real daemons (design 6.6, client level; 10.4). The logs are turned into the trace the EVS
// checker reads (evs-trace.ts) and checked by the same code as the simulator's runs
// (evs-checks.ts `checkEvsRun`): there is one copy of the checks.
//
// The mapping, for one group:
// - each client (private name) is a "daemon" of the trace, numbered in name order; each of its
//   connections is an incarnation (start at connect, crash when the connection broke);
// - each regular view is a regular configuration, its group id the configuration id;
// - before each view comes one transitional configuration T from the previous view, whose
//   members are the clients that moved together: my vs set for a CAUSED_BY_NETWORK view, the
//   members that stayed for a join, leave or disconnect, only me for my first view. T opens at the
//   transitional signal when there is one (messages after it are delivered in T), otherwise right
//   before the view (nothing delivered in it). Its id is "previous view>next view";
// - a message's ring is the view in which its sender delivered it (if the sender never did, the
//   view of its first delivery anywhere); its position in that ring is its rank in a merge of all
//   clients' delivery orders in that view, messages delivered in the regular view by anybody
//   before those delivered only in transitional configurations (in any correct run the former
//   precede the latter, so the merge invents no order the daemons did not use; clients that
//   disagree leave a backward step the total order check reports);
// - the commit set of T is the whole previous view: clients cannot see the daemons' commit set,
//   so the second half of property 9 is checked by the simulator only.
import { checkEvsRun, type EvsReport } from './evs-checks.ts';
import type {
  DeliveryRecord, EvsFinal, EvsRecord, EvsRunTrace, EvsSent, EvsSubmit, TransitionalRecord,
} from './evs-trace.ts';
import type { ClientLog, ViewEvent } from '../support/evs-client-log.ts';

export interface ClientCheckOptions {
  /** The group whose views and messages are checked. */
  readonly group: string;
  /** The run ended settled (every live client in one view, everything delivered); default true. */
  readonly finished?: boolean;
  /** When the last fault ended (ms, same clock as the logs); default 0. */
  readonly lastFaultAt?: number;
  /** Liveness bound after the last fault; default none (tests assert liveness by waiting). */
  readonly settleBoundMs?: number;
}

export interface ClientTrace {
  readonly trace: EvsRunTrace;
  /** Private name of each trace index: "d3" in a violation is names[3]. */
  readonly names: ReadonlyArray<string>;
}

export interface ClientReport extends EvsReport {
  /** "d0 = #e1#d1, d1 = ...": what the indices in the violations stand for. */
  readonly legend: string;
}

type MutableDelivery = { -readonly [K in keyof DeliveryRecord]: DeliveryRecord[K] };

interface Placed {
  readonly d: MutableDelivery;
  /** The view the client was in (its regular configuration). */
  readonly regular: string;
}

interface Inc {
  readonly daemon: number;
  readonly incarnation: number;
  readonly deliveries: Placed[];
  lost: boolean;
  lastView: ViewEvent | undefined;
}

/** Converts the logs of every incarnation of every client of one run into an EVS trace. */
export function clientLogsToEvsTrace(logs: ReadonlyArray<ClientLog>, o: ClientCheckOptions): ClientTrace {
  const names = [...new Set(logs.map((l) => l.privateName))].sort();
  const indexOf = new Map(names.map((n, i) => [n, i]));
  const ids = names.map((_, i) => i + 1);
  const initial = (i: number): string => `${ids[i]! >>> 0}:0`;
  const anomalies: string[] = [];
  const records: EvsRecord[][] = names.map(() => []);
  const submits: EvsSubmit[] = [];
  const incs: Inc[] = [];

  const indices = (who: string, members: ReadonlyArray<string>): number[] => {
    const out: number[] = [];
    for (const m of members) {
      const i = indexOf.get(m);
      if (i === undefined) anomalies.push(`${who}: ${m} is in a view but has no log`);
      else out.push(i);
    }
    return out.sort((a, b) => a - b);
  };

  names.forEach((name, daemon) => {
    const mine = logs.filter((l) => l.privateName === name).sort((a, b) => a.incarnation - b.incarnation || a.connectedAt - b.connectedAt);
    mine.forEach((log, incarnation) => {
      const who = `${name}#${incarnation}`;
      const out = records[daemon]!;
      const inc: Inc = { daemon, incarnation, deliveries: [], lost: false, lastView: undefined };
      incs.push(inc);
      out.push({ kind: 'start', t: log.connectedAt, incarnation });
      const events = log.events.filter(
        (e) => !((e.kind === 'view' || e.kind === 'transition') && e.group !== o.group) && !(e.kind === 'data' && !e.groups.includes(o.group)),
      );
      let regular = initial(daemon);
      let prev: ViewEvent | undefined;
      let trans: TransitionalRecord | undefined;
      let delivered = 0;
      const open = (t: number, next: ViewEvent | undefined): TransitionalRecord => {
        const commitSet = prev === undefined ? [daemon] : indices(who, prev.members);
        if (next === undefined) {
          const to = `end@${who}`;
          return { kind: 'transitional', t, config: `${regular}>${to}`, members: [daemon], from: regular, to, commitSet };
        }
        let members: number[];
        if (prev === undefined) members = [daemon];
        else if (next.reason === 'NETWORK') {
          const set = next.vsSets[next.myVsSet];
          if (set === undefined || !set.includes(name)) {
            anomalies.push(`${who}: my vs set in view ${next.groupId} (${JSON.stringify(next.vsSets)}, index ${next.myVsSet}) does not hold me`);
            members = [daemon];
          } else members = indices(who, set);
        } else {
          const before = prev.members;
          members = indices(who, next.members.filter((m) => before.includes(m)));
        }
        return { kind: 'transitional', t, config: `${regular}>${next.groupId}`, members, from: regular, to: next.groupId, commitSet };
      };
      for (let j = 0; j < events.length; j++) {
        const e = events[j]!;
        switch (e.kind) {
          case 'transition': {
            if (trans !== undefined) {
              anomalies.push(`${who}: transitional signal ${e.groupId} while ${trans.config} is open`);
              break;
            }
            if (prev !== undefined && e.groupId !== prev.groupId) anomalies.push(`${who}: transitional signal carries ${e.groupId}, my view is ${prev.groupId}`);
            const next = events.slice(j + 1).find((x): x is ViewEvent => x.kind === 'view');
            trans = open(e.t, next);
            out.push(trans);
            break;
          }
          case 'view': {
            if (trans === undefined) out.push((trans = open(e.t, e)));
            out.push({ kind: 'regular', t: e.t, ring: e.groupId, members: indices(who, e.members), transitional: trans.config });
            regular = e.groupId;
            prev = e;
            inc.lastView = e;
            trans = undefined;
            break;
          }
          case 'data': {
            const originator = indexOf.get(e.sender);
            if (originator === undefined) anomalies.push(`${who}: message ${e.key} from ${e.sender}, who has no log`);
            if (e.service === 'OTHER') anomalies.push(`${who}: message ${e.key} with a service other than Agreed or Safe`);
            const d: MutableDelivery = {
              kind: 'deliver',
              t: e.t,
              key: e.key,
              service: e.service === 'SAFE' ? 'SAFE' : 'AGREED',
              size: e.size,
              ring: regular,
              seq: 0,
              index: 0,
              fragments: 1,
              early: false,
              config: trans?.config ?? regular,
              inTransitional: trans !== undefined,
              originator: originator ?? -1,
              payloadOk: e.payloadOk,
            };
            out.push(d);
            inc.deliveries.push({ d, regular });
            delivered++;
            break;
          }
          case 'send':
            submits.push({ key: e.key, daemon, incarnation, t: e.t, service: e.service, size: e.size, deliveredBefore: delivered });
            break;
          case 'lost':
            out.push({ kind: 'crash', t: e.t });
            inc.lost = true;
            break;
          case 'anomaly':
            anomalies.push(`${who}: ${e.text}`);
            break;
        }
        if (inc.lost) break;
      }
    });
  });

  // The ring of each message: where its sender delivered it, else where it was first delivered.
  const submitOf = new Map(submits.map((s) => [s.key, s]));
  const own = new Map<string, string>();
  const first = new Map<string, string>();
  for (const inc of incs) {
    for (const { d, regular } of inc.deliveries) {
      if (!first.has(d.key)) first.set(d.key, regular);
      const s = submitOf.get(d.key);
      if (s !== undefined && s.daemon === inc.daemon && s.incarnation === inc.incarnation && !own.has(d.key)) own.set(d.key, regular);
    }
  }
  const ringOf = (key: string): string | undefined => own.get(key) ?? first.get(key);
  for (const inc of incs) for (const p of inc.deliveries) p.d.ring = ringOf(p.d.key) ?? p.regular;

  // Positions: per ring, a merge of the clients' delivery orders in that view.
  const orders = new Map<string, string[][]>();
  const inRegular = new Set<string>();
  for (const inc of incs) {
    const per = new Map<string, string[]>();
    for (const { d, regular } of inc.deliveries) {
      if (d.ring !== regular) continue;
      if (!d.inTransitional) inRegular.add(d.key);
      let list = per.get(d.ring);
      if (list === undefined) per.set(d.ring, (list = []));
      list.push(d.key);
    }
    for (const [ring, list] of per) {
      let all = orders.get(ring);
      if (all === undefined) orders.set(ring, (all = []));
      all.push(list);
    }
  }
  const rank = new Map<string, Map<string, number>>();
  for (const [ring, lists] of orders) rank.set(ring, mergeOrders(lists, (k) => inRegular.has(k)));
  for (const inc of incs) for (const { d } of inc.deliveries) d.seq = (rank.get(d.ring)?.get(d.key) ?? -1) + 1;

  const sent: EvsSent[] = [];
  for (const s of submits) {
    const ring = ringOf(s.key);
    if (ring === undefined) continue;
    sent.push({ key: s.key, daemon: s.daemon, incarnation: s.incarnation, t: s.t, ring, seq: (rank.get(ring)?.get(s.key) ?? -1) + 1, index: 0 });
  }

  const final: EvsFinal[] = names.map((name, i) => {
    const last = incs.filter((x) => x.daemon === i).pop()!;
    const v = last.lastView;
    return { alive: !last.lost, state: 'OP', ring: v?.groupId ?? initial(i), members: v === undefined ? [i] : indices(name, v.members) };
  });

  const trace: EvsRunTrace = {
    daemons: names.length,
    ids,
    records,
    submits,
    sent,
    anomalies,
    lastFaultAt: o.lastFaultAt ?? 0,
    settleBoundMs: o.settleBoundMs ?? Infinity,
    finished: o.finished ?? true,
    final,
  };
  return { trace, names };
}

/**
 * Ranks the keys of several delivery orders: a topological order of "delivered right after" over
 * all lists, taking among the ready keys first those `early` says, then by first appearance. A
 * cycle (clients that disagree) is broken at the earliest key so that every key gets a rank.
 */
export function mergeOrders(lists: ReadonlyArray<ReadonlyArray<string>>, early: (key: string) => boolean): Map<string, number> {
  const seen = new Map<string, number>();
  for (const list of lists) for (const k of list) if (!seen.has(k)) seen.set(k, seen.size);
  const n = seen.size;
  const keys = [...seen.keys()];
  // edges may repeat (several lists agree): each copy counts once in indeg and is removed once
  const succ: number[][] = keys.map(() => []);
  const indeg = new Array<number>(n).fill(0);
  for (const list of lists) {
    for (let j = 1; j < list.length; j++) {
      const a = seen.get(list[j - 1]!)!;
      const b = seen.get(list[j]!)!;
      if (a !== b) {
        succ[a]!.push(b);
        indeg[b]!++;
      }
    }
  }
  const prio = keys.map((k, i) => (early(k) ? 0 : n) + i);
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(prio[i]!);
  const byPrio = new Map(prio.map((p, i) => [p, i]));
  const placed = new Map<string, number>();
  const done = new Array<boolean>(n).fill(false);
  while (placed.size < n) {
    let i: number;
    const p = heap.pop();
    if (p !== undefined) {
      i = byPrio.get(p)!;
      if (done[i]) continue;
    } else {
      // a cycle: force the earliest key left
      i = -1;
      for (let c = 0; c < n; c++) if (!done[c] && (i < 0 || prio[c]! < prio[i]!)) i = c;
    }
    done[i] = true;
    placed.set(keys[i]!, placed.size);
    for (const s of succ[i]!) if (--indeg[s]! === 0 && !done[s]) heap.push(prio[s]!);
  }
  return placed;
}

class MinHeap {
  private readonly a: number[] = [];

  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (a[up]! <= x) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = x;
  }

  pop(): number | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** Checks the logs of one run with the EVS checker; `legend` names the clients behind "dN". */
export function checkClientLogs(logs: ReadonlyArray<ClientLog>, o: ClientCheckOptions): ClientReport {
  const { trace, names } = clientLogsToEvsTrace(logs, o);
  const r = checkEvsRun(trace);
  return { ...r, legend: names.map((n, i) => `d${i} = ${n}`).join(', ') };
}
