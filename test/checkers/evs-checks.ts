// The EVS checker (design 6.6 daemon-level properties 1 to 12, and 10.4): pure functions over a
// trace of configuration changes and deliveries of every daemon across its incarnations. Each
// returns a list of violations; an empty list means the property holds.
import { PACKET_BODY_BYTES } from '../../daemon/wire/index.ts';
import type { DeliveryRecord, EvsRecord, EvsRunTrace, EvsSubmit, RegularRecord, TransitionalRecord } from './evs-trace.ts';

const LIMIT = 5; // violations reported per property

/**
 * One-packet Reliable messages may overtake and have relaxed EVS rules (design 3.8, 6.6
 * exception). One packet is the run's packet body: Spread's 1432 bytes unless the run used
 * bigger datagrams (the ring simulator passes its own; the EVS runs use Spread's size, and the
 * real-daemon EVS clients send Agreed and Safe only).
 */
export function onePacketReliable(m: { readonly service: string; readonly size: number }, packetBodyBytes = PACKET_BODY_BYTES): boolean {
  return m.service === 'RELIABLE' && m.size <= packetBodyBytes;
}

/** A delivery with the configuration this incarnation was in when it happened. */
interface Placed {
  readonly d: DeliveryRecord;
  /** The regular configuration C it belongs to (its ring), the transitional T if inTransitional. */
  readonly regular: string;
  readonly trans: string | undefined;
}

/** One incarnation of one daemon, walked once. */
export interface Incarnation {
  readonly daemon: number;
  readonly incarnation: number;
  readonly records: ReadonlyArray<EvsRecord>;
  /** Ended by a crash (as opposed to still running at the end). */
  readonly crashed: boolean;
  readonly deliveries: ReadonlyArray<Placed>;
  /** Transitional configurations, each with the regular one it left. */
  readonly transitionals: ReadonlyArray<TransitionalRecord>;
  readonly regulars: ReadonlyArray<RegularRecord>;
  /** Regular configurations this incarnation left by installing the next one (ring -> install time). */
  readonly left: ReadonlyMap<string, number>;
  /** Keys delivered, by configuration id. */
  readonly byConfig: ReadonlyMap<string, ReadonlySet<string>>;
  readonly delivered: ReadonlyMap<string, Placed>;
  /** Key -> index in `deliveries`. */
  readonly position: ReadonlyMap<string, number>;
}

export interface EvsReport {
  readonly violations: string[];
  readonly warnings: string[];
}

function initialRing(t: EvsRunTrace, daemon: number): string {
  return `${t.ids[daemon]! >>> 0}:0`;
}

/**
 * Splits each daemon's records into incarnations and checks the shape of configuration changes
 * (properties 2 and 3) on the way: start, then [transitional T, deliveries in T, regular C',
 * deliveries in C']*, with me in T, T within C and C', and each message delivered in the
 * configuration it was sent in or the transitional one that follows it.
 */
export function incarnations(t: EvsRunTrace, v: string[]): Incarnation[] {
  const out: Incarnation[] = [];
  t.records.forEach((records, daemon) => {
    let cur: EvsRecord[] | undefined;
    const flush = (crashed: boolean): void => {
      if (cur !== undefined) out.push(walk(t, daemon, out.filter((x) => x.daemon === daemon).length, cur, crashed, v));
      cur = undefined;
    };
    for (const r of records) {
      if (r.kind === 'start') {
        flush(false);
        cur = [r];
      } else if (r.kind === 'crash') {
        if (cur === undefined) v.push(`d${daemon}: crash without a start`);
        else cur.push(r);
        flush(true);
      } else if (cur === undefined) {
        v.push(`d${daemon}: ${r.kind} record before any start`);
      } else {
        cur.push(r);
      }
    }
    flush(false);
  });
  return out;
}

function walk(t: EvsRunTrace, daemon: number, incarnation: number, records: EvsRecord[], crashed: boolean, v: string[]): Incarnation {
  const deliveries: Placed[] = [];
  const transitionals: TransitionalRecord[] = [];
  const regulars: RegularRecord[] = [];
  const left = new Map<string, number>();
  const byConfig = new Map<string, Set<string>>();
  const delivered = new Map<string, Placed>();
  const position = new Map<string, number>();
  let regular = initialRing(t, daemon);
  let regularMembers: ReadonlyArray<number> = [daemon];
  let trans: TransitionalRecord | undefined;
  const who = `d${daemon}#${incarnation}`;
  for (const r of records) {
    if (r.kind === 'transitional') {
      if (trans !== undefined) v.push(`${who}: transitional ${r.config} after transitional ${trans.config}`);
      if (r.from !== regular) v.push(`${who}: transitional ${r.config} leaves ${r.from} but I am in ${regular}`);
      if (!r.members.includes(daemon)) v.push(`${who}: not a member of transitional ${r.config}`);
      for (const m of r.members) {
        if (!regularMembers.includes(m)) v.push(`${who}: transitional ${r.config} member d${m} was not in ${regular}`);
      }
      trans = r;
      transitionals.push(r);
    } else if (r.kind === 'regular') {
      if (trans === undefined) v.push(`${who}: regular ${r.ring} without a transitional configuration`);
      else {
        if (trans.to !== r.ring || trans.config !== r.transitional) v.push(`${who}: regular ${r.ring} after transitional ${trans.config} to ${trans.to}`);
        for (const m of trans.members) if (!r.members.includes(m)) v.push(`${who}: transitional member d${m} not in regular ${r.ring}`);
      }
      if (!r.members.includes(daemon)) v.push(`${who}: not a member of regular ${r.ring}`);
      left.set(regular, r.t);
      regular = r.ring;
      regularMembers = r.members;
      trans = undefined;
      regulars.push(r);
    } else if (r.kind === 'deliver') {
      const p: Placed = { d: r, regular, trans: trans?.config };
      if (r.ring !== regular) v.push(`${who}: delivered ${r.key} of ring ${r.ring} while in ${regular}`);
      if (r.inTransitional !== (trans !== undefined) || r.config !== (trans?.config ?? regular)) {
        v.push(`${who}: delivered ${r.key} in ${r.config}${r.inTransitional ? ' (T)' : ''} while in ${trans?.config ?? regular}`);
      }
      if (delivered.has(r.key)) v.push(`${who}: delivered ${r.key} twice`);
      delivered.set(r.key, p);
      position.set(r.key, deliveries.length);
      deliveries.push(p);
      let set = byConfig.get(r.config);
      if (set === undefined) byConfig.set(r.config, (set = new Set()));
      set.add(r.key);
    }
  }
  return { daemon, incarnation, records, crashed, deliveries, transitionals, regulars, left, byConfig, delivered, position };
}

/** Property 1: a configuration id always denotes the same configuration; nobody installs one twice. */
export function checkUniqueConfigurations(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const regular = new Map<string, string>();
  const trans = new Map<string, string>();
  const installs = new Map<string, number>();
  for (const x of incs) {
    for (const r of x.regulars) {
      const what = r.members.join(',');
      const seen = regular.get(r.ring);
      if (seen !== undefined && seen !== what) v.push(`regular ${r.ring} is [${seen}] and [${what}]`);
      regular.set(r.ring, what);
      const key = `${x.daemon} R ${r.ring}`;
      installs.set(key, (installs.get(key) ?? 0) + 1);
    }
    for (const r of x.transitionals) {
      const what = `[${r.members.join(',')}] from ${r.from} to ${r.to}`;
      const seen = trans.get(r.config);
      if (seen !== undefined && seen !== what) v.push(`transitional ${r.config} is ${seen} and ${what}`);
      trans.set(r.config, what);
      const key = `${x.daemon} T ${r.config}`;
      installs.set(key, (installs.get(key) ?? 0) + 1);
    }
    if (v.length >= LIMIT) return v;
  }
  for (const [key, n] of installs) if (n > 1) v.push(`d${key.replace(' R ', ' installed regular ').replace(' T ', ' installed transitional ')} ${n} times`);
  return v.slice(0, LIMIT);
}

/** Configurations are installed in one order: the graph of "installed right after" has no cycle. */
export function checkConfigurationOrder(incs: ReadonlyArray<Incarnation>): string[] {
  const edges = new Map<string, Set<string>>();
  for (const x of incs) {
    for (let i = 1; i < x.regulars.length; i++) {
      const a = x.regulars[i - 1]!.ring;
      let set = edges.get(a);
      if (set === undefined) edges.set(a, (set = new Set()));
      set.add(x.regulars[i]!.ring);
    }
  }
  const cycle = findCycle(edges);
  return cycle === undefined ? [] : [`regular configurations installed in conflicting orders: ${cycle.join(' -> ')}`];
}

/** A cycle of the graph, if any. Iterative depth-first search: real runs give chains of many thousand messages. */
function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, number>(); // 1 on the path, 2 done
  const path: string[] = [];
  const pending: Array<Iterator<string>> = []; // per path node: its successors not yet visited
  const enter = (n: string): void => {
    state.set(n, 1);
    path.push(n);
    pending.push((edges.get(n) ?? new Set<string>()).values());
  };
  for (const root of edges.keys()) {
    if (state.has(root)) continue;
    enter(root);
    while (path.length > 0) {
      const next = pending[pending.length - 1]!.next();
      if (next.done === true) {
        state.set(path.pop()!, 2);
        pending.pop();
        continue;
      }
      const m = next.value;
      const st = state.get(m);
      if (st === 1) return [...path.slice(path.indexOf(m)), m];
      if (st === undefined) enter(m);
    }
  }
  return undefined;
}

/** Property 4, integrity: every delivered message was submitted, with these bytes, service and originator. */
export function checkIntegrity(t: EvsRunTrace, incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const subs = new Map<string, EvsSubmit>();
  for (const s of t.submits) subs.set(s.key, s);
  for (const x of incs) {
    for (const { d } of x.deliveries) {
      const s = subs.get(d.key);
      if (s === undefined) v.push(`d${x.daemon} delivered ${d.key}, never submitted`);
      else if (!d.payloadOk || d.size !== s.size) v.push(`d${x.daemon} delivered ${d.key} with other bytes`);
      else if (d.service !== s.service) v.push(`d${x.daemon} delivered ${d.key} as ${d.service}, sent ${s.service}`);
      else if (d.originator !== s.daemon) v.push(`d${x.daemon} delivered ${d.key} from d${d.originator}`);
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/** Members of one transitional configuration, each with the incarnation that installed it. */
function byTransitional(incs: ReadonlyArray<Incarnation>): Map<string, Array<{ x: Incarnation; r: TransitionalRecord }>> {
  const m = new Map<string, Array<{ x: Incarnation; r: TransitionalRecord }>>();
  for (const x of incs) {
    for (const r of x.transitionals) {
      let list = m.get(r.config);
      if (list === undefined) m.set(r.config, (list = []));
      list.push({ x, r });
    }
  }
  return m;
}

/**
 * Properties 4 and 6: daemons that install the same transitional configuration T (coming from the
 * same C) delivered the same messages in C and the same in T, each message in the same one of
 * the two (one-packet Reliable messages: only at most once, in C or in T).
 */
export function checkVirtualSynchrony(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  for (const [config, list] of byTransitional(incs)) {
    if (list.length < 2) continue;
    const from = list[0]!.r.from;
    const sets = list.map(({ x }) => {
      const inC = [...(x.byConfig.get(from) ?? [])].filter((k) => !onePacketReliable(x.delivered.get(k)!.d));
      const inT = [...(x.byConfig.get(config) ?? [])].filter((k) => !onePacketReliable(x.delivered.get(k)!.d));
      return { who: `d${x.daemon}`, inC: new Set(inC), inT: new Set(inT) };
    });
    const a = sets[0]!;
    for (const b of sets.slice(1)) {
      for (const [name, sa, sb] of [
        [`C ${from}`, a.inC, b.inC],
        [`T ${config}`, a.inT, b.inT],
      ] as const) {
        const onlyA = [...sa].filter((k) => !sb.has(k));
        const onlyB = [...sb].filter((k) => !sa.has(k));
        if (onlyA.length > 0 || onlyB.length > 0) {
          v.push(`virtual synchrony in ${name} (trans ${config}): ${a.who} alone delivered [${onlyA.slice(0, 5)}], ${b.who} alone [${onlyB.slice(0, 5)}]`);
        }
      }
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/** Property 5: a daemon that sent a message in C and installs the next regular configuration delivered it first. */
export function checkSelfDelivery(t: EvsRunTrace, incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const find = new Map<string, Incarnation>();
  for (const x of incs) find.set(`${x.daemon}#${x.incarnation}`, x);
  for (const s of t.sent) {
    const x = find.get(`${s.daemon}#${s.incarnation}`);
    if (x === undefined) continue;
    const leftAt = x.left.get(s.ring);
    const p = x.delivered.get(s.key);
    if (leftAt !== undefined && (p === undefined || p.d.t > leftAt)) {
      v.push(`d${s.daemon} sent ${s.key} in ${s.ring} but left it at t=${leftAt.toFixed(3)} without delivering it`);
    } else if (!x.crashed && p === undefined) {
      v.push(`d${s.daemon} sent ${s.key} in ${s.ring}, is still up and never delivered it`);
    }
    if (v.length >= LIMIT) return v;
  }
  return v;
}

function positionBefore(a: DeliveryRecord, b: DeliveryRecord): boolean {
  return a.seq < b.seq || (a.seq === b.seq && a.index < b.index);
}

/**
 * Property 7: one order. Within a ring each daemon delivers in the ring's positions (seq of the
 * last fragment, index in the packet); across rings the precedence graph of all daemons'
 * delivery orders has no cycle. One-packet Reliable messages are excluded.
 */
export function checkTotalOrder(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const edges = new Map<string, Set<string>>();
  for (const x of incs) {
    let prev: DeliveryRecord | undefined;
    for (const { d } of x.deliveries) {
      if (onePacketReliable(d)) continue;
      if (prev !== undefined) {
        if (prev.ring === d.ring && !positionBefore(prev, d)) {
          v.push(`d${x.daemon}: ${prev.key}@${prev.seq}.${prev.index} delivered before ${d.key}@${d.seq}.${d.index} of ring ${d.ring}`);
        }
        let set = edges.get(prev.key);
        if (set === undefined) edges.set(prev.key, (set = new Set()));
        set.add(d.key);
      }
      prev = d;
    }
    if (v.length >= LIMIT) return v;
  }
  const cycle = findCycle(edges);
  if (cycle !== undefined) v.push(`messages delivered in conflicting orders: ${cycle.slice(0, 8).join(' -> ')}`);
  return v;
}

/** All messages of each ring that anybody delivered, in ring order. */
function ringUniverse(incs: ReadonlyArray<Incarnation>): Map<string, DeliveryRecord[]> {
  const seen = new Map<string, DeliveryRecord>();
  for (const x of incs) for (const { d } of x.deliveries) if (!seen.has(d.key)) seen.set(d.key, d);
  const m = new Map<string, DeliveryRecord[]>();
  for (const d of seen.values()) {
    let list = m.get(d.ring);
    if (list === undefined) m.set(d.ring, (list = []));
    list.push(d);
  }
  for (const list of m.values()) list.sort((a, b) => a.seq - b.seq || a.index - b.index);
  return m;
}

/**
 * Property 8: no gaps in C. A daemon that delivers in regular C a message m (not one-packet
 * Reliable) has already delivered every message of C that precedes m and that anybody delivered.
 */
export function checkNoGapsInRegular(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const universe = ringUniverse(incs);
  const rank = new Map<string, number>();
  for (const list of universe.values()) list.forEach((d, i) => rank.set(d.key, i));
  for (const x of incs) {
    let ring: string | undefined;
    let have = new Set<number>();
    let low = 0;
    for (const { d } of x.deliveries) {
      if (d.inTransitional) continue;
      if (d.ring !== ring) {
        ring = d.ring;
        have = new Set();
        low = 0;
      }
      const list = universe.get(d.ring)!;
      const r = rank.get(d.key)!;
      if (!onePacketReliable(d) && low < r) {
        v.push(`d${x.daemon} delivered ${d.key} in ${d.ring} before ${list[low]!.key}, which precedes it`);
        break;
      }
      have.add(r);
      while (have.has(low)) low++;
    }
    if (v.length >= LIMIT) return v;
  }
  return v;
}

/**
 * Property 9: a daemon that delivers m in T after skipping an earlier message m0 of C: nobody in
 * T delivered m0, and m's originator is in the commit set (one-packet Reliable m0 excepted).
 */
export function checkGapsInTransitional(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const universe = ringUniverse(incs);
  const groups = byTransitional(incs);
  for (const [config, list] of groups) {
    const from = list[0]!.r.from;
    const all = universe.get(from) ?? [];
    const deliveredInT = new Set<string>();
    for (const { x } of list) for (const k of [...(x.byConfig.get(from) ?? []), ...(x.byConfig.get(config) ?? [])]) deliveredInT.add(k);
    for (const { x, r } of list) {
      const mine = x.byConfig.get(config);
      if (mine === undefined) continue;
      let skipped: DeliveryRecord | undefined;
      for (const m of all) {
        const here = x.delivered.get(m.key);
        if (here === undefined) {
          if (!onePacketReliable(m)) skipped ??= m;
          continue;
        }
        if (!here.d.inTransitional || here.trans !== config || skipped === undefined) continue;
        if (deliveredInT.has(skipped.key)) {
          v.push(`d${x.daemon} delivered ${m.key} in T ${config} after skipping ${skipped.key}, which a member of T delivered`);
        } else if (!r.commitSet.includes(here.d.originator)) {
          v.push(`d${x.daemon} delivered ${m.key} of d${here.d.originator} in T ${config} after the gap at ${skipped.key}; commit set [${r.commitSet}]`);
        }
        if (v.length >= LIMIT) return v;
      }
    }
  }
  return v;
}

/** Property 10, FIFO: messages one sender sent in one ring are delivered in the order it submitted them. */
export function checkFifo(t: EvsRunTrace, incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const sentIn = new Map<string, string>();
  for (const s of t.sent) sentIn.set(s.key, s.ring);
  // per (sender incarnation, ring): its messages in submission order
  const streams = new Map<string, EvsSubmit[]>();
  for (const s of t.submits) {
    const ring = sentIn.get(s.key);
    if (ring === undefined) continue;
    const k = `${s.daemon}#${s.incarnation}@${ring}`;
    let list = streams.get(k);
    if (list === undefined) streams.set(k, (list = []));
    list.push(s);
  }
  for (const [stream, list] of streams) {
    for (const x of incs) {
      let latest = -1; // latest position at x of the earlier messages of the stream; Infinity if one is missing
      let missing: string | undefined;
      for (const s of list) {
        const at = x.position.get(s.key);
        if (at !== undefined && !onePacketReliable(s) && latest > at) {
          v.push(`d${x.daemon} delivered ${s.key} before ${missing ?? 'an earlier message'} of stream ${stream}`);
          break;
        }
        if (at === undefined) {
          latest = Infinity;
          missing ??= s.key;
        } else if (at > latest) {
          latest = at;
          missing = s.key;
        }
      }
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/**
 * Property 10, causal: a message m' sent in ring C by a daemon that had delivered m of C before
 * submitting m' is delivered after m by every daemon that delivers m'.
 */
export function checkCausal(t: EvsRunTrace, incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const find = new Map<string, Incarnation>();
  for (const x of incs) find.set(`${x.daemon}#${x.incarnation}`, x);
  const sentIn = new Map<string, string>();
  for (const s of t.sent) sentIn.set(s.key, s.ring);
  const bySender = new Map<Incarnation, EvsSubmit[]>();
  for (const s of t.submits) {
    const sender = find.get(`${s.daemon}#${s.incarnation}`);
    if (sender === undefined || onePacketReliable(s) || !sentIn.has(s.key)) continue;
    let list = bySender.get(sender);
    if (list === undefined) bySender.set(sender, (list = []));
    list.push(s);
  }
  for (const [sender, subs] of bySender) {
    const ds = sender.deliveries;
    for (const x of incs) {
      // latest[c]: the latest position at x of the sender's first c deliveries that share the
      // ring of delivery c-1 (its deliveries of one ring are contiguous); Infinity if one is missing
      const latest = new Float64Array(ds.length + 1);
      latest[0] = -1;
      for (let c = 0; c < ds.length; c++) {
        const at = x.position.get(ds[c]!.d.key);
        const here = at === undefined ? Infinity : at;
        const sameRing = c > 0 && ds[c - 1]!.d.ring === ds[c]!.d.ring;
        latest[c + 1] = sameRing ? Math.max(latest[c]!, here) : here;
      }
      for (const s of subs) {
        if (s.deliveredBefore === 0) continue;
        const at = x.position.get(s.key);
        if (at === undefined) continue;
        const last = ds[s.deliveredBefore - 1]!;
        if (last.d.ring !== sentIn.get(s.key)) continue;
        if (latest[s.deliveredBefore]! > at) {
          v.push(`d${x.daemon} delivered ${s.key} before a message of ${last.d.ring} that d${s.daemon} had delivered when it sent it`);
          if (v.length >= LIMIT) return v;
        }
      }
    }
  }
  return v;
}

/**
 * Property 11: a Safe message is delivered in regular C only when every member of C holds it
 * (those the simulator could still ask), and then, in C or in its transitional configuration
 * after C, by every member of C that left C by installing the next configuration.
 */
export function checkSafe(incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  const inRing = new Map<string, Incarnation[]>(); // ring -> incarnations that installed it and left it
  for (const x of incs) {
    for (const r of x.regulars) {
      if (!x.left.has(r.ring)) continue;
      let list = inRing.get(r.ring);
      if (list === undefined) inRing.set(r.ring, (list = []));
      list.push(x);
    }
  }
  const done = new Set<string>();
  for (const x of incs) {
    for (const { d } of x.deliveries) {
      if (d.safeMissingAt !== undefined && d.safeMissingAt.length > 0) {
        v.push(`d${x.daemon} delivered Safe ${d.key} in ${d.ring} while members [${d.safeMissingAt}] of it did not hold it`);
      }
      if (d.service !== 'SAFE' || d.inTransitional || done.has(d.key)) continue;
      done.add(d.key);
      for (const y of inRing.get(d.ring) ?? []) {
        if (!y.delivered.has(d.key)) v.push(`d${x.daemon} delivered Safe ${d.key} in ${d.ring}; d${y.daemon}, a member that left ${d.ring} properly, never did`);
      }
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/**
 * Property 12, liveness: once the faults stop, every live daemon installs one regular
 * configuration of all live daemons within the bound, delivers every message it submitted, and
 * every message of that final ring reaches every live daemon.
 */
export function checkLiveness(t: EvsRunTrace, incs: ReadonlyArray<Incarnation>): string[] {
  const v: string[] = [];
  if (!t.finished) v.push('liveness: the live daemons never settled in one ring with everything delivered');
  const alive = t.final.map((f, d) => (f.alive ? d : -1)).filter((d) => d >= 0);
  const last = new Map<number, Incarnation>();
  for (const x of incs) last.set(x.daemon, x);
  let ring: string | undefined;
  for (const d of alive) {
    const f = t.final[d]!;
    ring ??= f.ring;
    if (f.ring !== ring || f.state !== 'OP' || f.members.join(',') !== alive.join(',')) {
      v.push(`liveness: d${d} ends in ${f.state} ring ${f.ring} [${f.members}], live daemons [${alive}]`);
    }
    const x = last.get(d)!;
    const settled = x.regulars[x.regulars.length - 1]?.t;
    if (settled === undefined) v.push(`liveness: d${d} never installed a ring`);
    else if (settled > t.lastFaultAt + t.settleBoundMs) {
      v.push(`liveness: d${d} installed its last ring at t=${settled.toFixed(1)}, last fault at ${t.lastFaultAt.toFixed(1)} + bound ${t.settleBoundMs}`);
    }
  }
  for (const s of t.submits) {
    const x = last.get(s.daemon);
    if (x === undefined || x.crashed || x.incarnation !== s.incarnation || !t.final[s.daemon]!.alive) continue;
    if (!x.delivered.has(s.key)) v.push(`liveness: d${s.daemon} submitted ${s.key} and never delivered it`);
    if (v.length >= LIMIT) return v;
  }
  if (ring !== undefined) {
    const final = ring;
    for (const s of t.sent) {
      if (s.ring !== final) continue;
      for (const d of alive) if (!last.get(d)!.delivered.has(s.key)) v.push(`liveness: d${d} never delivered ${s.key}, sent in the final ring`);
      if (v.length >= LIMIT) return v;
    }
  }
  return v;
}

/** Every check for one run with membership changes. */
export function checkEvsRun(t: EvsRunTrace): EvsReport {
  const v: string[] = [];
  for (const a of t.anomalies.slice(0, LIMIT)) v.push(`anomaly: ${a}`);
  const shape: string[] = [];
  const incs = incarnations(t, shape);
  v.push(...shape.slice(0, LIMIT));
  v.push(
    ...checkUniqueConfigurations(incs),
    ...checkConfigurationOrder(incs),
    ...checkIntegrity(t, incs),
    ...checkVirtualSynchrony(incs),
    ...checkSelfDelivery(t, incs),
    ...checkTotalOrder(incs),
    ...checkNoGapsInRegular(incs),
    ...checkGapsInTransitional(incs),
    ...checkFifo(t, incs),
    ...checkCausal(t, incs),
    ...checkSafe(incs),
    ...checkLiveness(t, incs),
  );
  return { violations: v, warnings: [] };
}
