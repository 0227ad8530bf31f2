// State exchange and primary decision (design 2.5, 2.6) [core]. One exchange per installed view:
// STATE (Safe) -> level 1 -> COMMIT (Safe) -> level 2 -> READY (Safe) -> level 3 = activated.
// Pure: the shell feeds deliveries in order and performs the returned actions in order; an action
// marked `persist` must be durable before any later `send` is performed.
//
// Deviation from the design, on the safe side: after the view's transitional signal a member
// sends nothing more for that view (no COMMIT, no READY); activation needs every member's READY,
// so such a view simply fails to activate and the next view starts over.
import { compareBallot, isPrimaryView, isStaticMajority } from './quorum.ts';
import type { Durability, QuorumPolicy } from './types.ts';
import type { Lineage, ListTag, LogEntry, RsmMessage } from './wire.ts';

/** What a replica keeps on disk for the exchange (besides its log). */
export interface ReplicaMeta {
  /** Highest ballot number proposed or accepted. */
  readonly maxBallot: number;
  /** Last view known to have possibly been activated (level 2 somewhere); null = genesis. */
  readonly lineage: Lineage | null;
  /** Views above the lineage where this replica reached level 1 (for dynamic voting). */
  readonly attempts: readonly Lineage[];
  /** The view in which this replica last adopted a base, and that base's lineage ('' = genesis). */
  readonly list: ListTag;
  /** Certified end of the list: entries 1..greenEnd are the lineage's common history. */
  readonly greenEnd: number;
  /** Contiguous end of the list: entries 1..len are all held (applied or logged). */
  readonly len: number;
}

export const GENESIS_META: ReplicaMeta = {
  maxBallot: 0,
  lineage: null,
  attempts: [],
  list: { view: '', basedOn: '' },
  greenEnd: 0,
  len: 0,
};

/** A replica's list as it enters a view: what it has applied and what it holds beyond that. */
export interface ListInfo {
  readonly appliedIndex: number;
  readonly digest: string;
  /** Entries appliedIndex+1 .. meta.len, in order. */
  readonly tail: readonly LogEntry[];
}

export interface ExchangeConfig {
  readonly me: string;
  readonly replicas: readonly string[];
  readonly quorum: QuorumPolicy;
  readonly durability: Durability;
}

/** What level 1 decided for the view, identical at every member (computed from STATE inputs alone). */
export interface Decision {
  readonly view: string;
  readonly members: readonly string[];
  readonly ballot: number;
  readonly lineage: Lineage | null;
  /** The member whose list became the base. */
  readonly chosen: string;
  /** Index of the last entry of the base. */
  readonly baseIndex: number;
  /** The chosen member's applied index: entries up to it are final somewhere. */
  readonly chosenApplied: number;
  /** Members whose applied index >= chosenApplied, sorted: they can serve state transfers. */
  readonly donors: readonly string[];
  /** Members that will need a transfer, sorted. */
  readonly laggards: readonly string[];
}

/** What this member does to its own list at level 1. */
export interface Adoption {
  /** Keep own entries up to here; delete own entries above it (unless overwritten). */
  readonly keepUpTo: number;
  /** Entries of the chosen list to write (all have index > keepUpTo). */
  readonly write: readonly LogEntry[];
  /** True when entries keepUpTo+1 .. chosenApplied are missing: a state transfer is needed. */
  readonly gap: boolean;
}

export type ExchangeAction =
  /** Persist meta, then send the tail chunks and the STATE message. */
  | { readonly type: 'send-state'; readonly meta: ReplicaMeta; readonly tail: readonly LogEntry[]; readonly state: Extract<RsmMessage, { k: 'state' }> }
  /** Persist meta plus the adoption (one atomic batch), then send COMMIT. */
  | { readonly type: 'adopt-and-commit'; readonly meta: ReplicaMeta; readonly adoption: Adoption; readonly decision: Decision; readonly commit: Extract<RsmMessage, { k: 'commit' }> }
  /** Persist meta (level 2), then send READY. */
  | { readonly type: 'persist-and-ready'; readonly meta: ReplicaMeta; readonly ready: Extract<RsmMessage, { k: 'ready' }> }
  /** Level 3: the view is an activated primary; base entries and green commands may be applied. */
  | { readonly type: 'activate'; readonly decision: Decision }
  /** The view is not (or can no longer become) primary. */
  | { readonly type: 'non-primary'; readonly reason: string; readonly final: boolean }
  /** This replica applied commands the new base does not contain (the 'safe' mode crash window): it must not serve. */
  | { readonly type: 'fenced'; readonly reason: string };

type StateMsg = Extract<RsmMessage, { k: 'state' }>;

export type Phase = 'idle' | 'state' | 'commit' | 'ready' | 'active' | 'non-primary' | 'aborted';

interface ViewRun {
  readonly key: string;
  readonly members: readonly string[];
  phase: Phase;
  /** Highest level reached here: 1 = all STATEs, 2 = all COMMITs (READY sent), 3 = activated. */
  level: 0 | 1 | 2 | 3;
  transitional: boolean;
  readonly states: Map<string, StateMsg>;
  readonly tails: Map<string, LogEntry[]>;
  readonly commits: Set<string>;
  readonly readies: Set<string>;
  decision?: Decision;
}

/** Replica id of a Spread private group name "#name#daemon". */
export function replicaIdOf(privateGroup: string): string {
  const m = /^#([^#]+)#/.exec(privateGroup);
  return m ? m[1]! : privateGroup;
}

export class ExchangeCore {
  private meta: ReplicaMeta;
  private run: ViewRun | undefined;

  constructor(
    private readonly cfg: ExchangeConfig,
    meta: ReplicaMeta,
  ) {
    this.meta = meta;
  }

  get currentMeta(): ReplicaMeta {
    return this.meta;
  }

  get phase(): Phase {
    return this.run?.phase ?? 'idle';
  }

  get view(): string | undefined {
    return this.run?.key;
  }

  get decision(): Decision | undefined {
    return this.run?.decision;
  }

  /**
   * Colour of a command delivered now (design 2.4): green = regular part of an activated view
   * (gets an index, may be applied); yellow = after the transitional signal at level >= 2 (kept in
   * the list, never applied before the next exchange); drop = sent in another view, or delivered
   * where the sender's view cannot have been activated (then nobody delivered it green).
   */
  colour(tag: string): 'green' | 'yellow' | 'drop' {
    const run = this.run;
    if (run === undefined || tag !== run.key) return 'drop';
    if (run.level === 3 && !run.transitional) return 'green';
    if (run.level >= 2 && run.transitional) return 'yellow';
    return 'drop';
  }

  /** True in the regular part of an activated view: commands and markers may be sent. */
  get canSend(): boolean {
    return this.run !== undefined && this.run.level === 3 && !this.run.transitional;
  }

  /** The shell updates list progress (len, greenEnd) as deliveries are persisted. */
  setProgress(len: number, greenEnd: number): void {
    this.meta = { ...this.meta, len, greenEnd };
  }

  /**
   * A regular membership installed view `key` with members (replica ids, from the private
   * group names, possibly with non-replicas). `list` is this replica's list at that point.
   */
  onView(key: string, rawMembers: readonly string[], list: ListInfo): ExchangeAction[] {
    const replicaSet = new Set(this.cfg.replicas);
    const ids = rawMembers.filter((m) => replicaSet.has(m));
    const members = [...new Set(ids)].sort();
    const run: ViewRun = {
      key,
      members,
      phase: 'state',
      level: 0,
      transitional: false,
      states: new Map(),
      tails: new Map(),
      commits: new Set(),
      readies: new Set(),
    };
    this.run = run;
    if (members.length !== ids.length) return this.stop(run, 'non-primary', `replica id appears twice in view ${key}`);
    if (!members.includes(this.cfg.me)) return this.stop(run, 'non-primary', `this replica is not in view ${key}`);
    if (this.cfg.quorum === 'static-majority' && !isStaticMajority(members, this.cfg.replicas)) {
      return this.stop(run, 'non-primary', `view ${key} holds ${members.length} of ${this.cfg.replicas.length} replicas`);
    }
    const proposal = this.meta.maxBallot + 1;
    this.meta = { ...this.meta, maxBallot: proposal };
    const state: StateMsg = {
      k: 'state',
      v: key,
      p: proposal,
      lin: this.meta.lineage,
      at: this.meta.attempts,
      list: this.meta.list,
      ai: list.appliedIndex,
      ad: list.digest,
      ge: Math.min(this.meta.greenEnd, this.meta.len),
      len: this.meta.len,
      tn: list.tail.length,
    };
    return [{ type: 'send-state', meta: this.meta, tail: list.tail, state }];
  }

  /** The transitional signal of the current view: no more sends for it; activation is now impossible unless already reached. */
  onTransitional(): ExchangeAction[] {
    const run = this.run;
    if (run === undefined) return [];
    run.transitional = true;
    if (run.phase === 'state' || run.phase === 'commit' || run.phase === 'ready') {
      run.phase = 'aborted';
      return [{ type: 'non-primary', reason: `view ${run.key} changed before activation`, final: false }];
    }
    return [];
  }

  /** One delivered exchange message (tail, state, commit, ready) from member `from` (replica id). */
  onMessage(from: string, m: RsmMessage): ExchangeAction[] {
    const run = this.run;
    if (run === undefined || m.v !== run.key || !run.members.includes(from)) return [];
    switch (m.k) {
      case 'tail': {
        const t = run.tails.get(from) ?? [];
        t.push(...m.e);
        run.tails.set(from, t);
        return [];
      }
      case 'state':
        if (run.states.has(from)) return [];
        run.states.set(from, m);
        return run.states.size === run.members.length ? this.levelOne(run) : [];
      case 'commit':
        if (run.decision === undefined || m.n !== run.decision.ballot) return [];
        run.commits.add(from);
        return run.commits.size === run.members.length ? this.levelTwo(run) : [];
      case 'ready':
        if (run.decision === undefined || m.n !== run.decision.ballot) return [];
        run.readies.add(from);
        return run.readies.size === run.members.length ? this.levelThree(run) : [];
      default:
        return [];
    }
  }

  private stop(run: ViewRun, phase: 'non-primary' | 'aborted', reason: string): ExchangeAction[] {
    run.phase = phase;
    return [{ type: 'non-primary', reason, final: phase === 'non-primary' }];
  }

  /** All STATEs delivered: decide ballot, lineage, primary-ness and base (design 2.6 step 2). */
  private levelOne(run: ViewRun): ExchangeAction[] {
    if (run.phase !== 'state') return [];
    if (run.transitional) return this.stop(run, 'aborted', `view ${run.key} changed during the exchange`);
    const states = run.members.map((m) => [m, run.states.get(m)!] as const);
    for (const [m, s] of states) {
      if ((run.tails.get(m)?.length ?? 0) !== s.tn) return this.stop(run, 'aborted', `incomplete tail from ${m}`);
    }
    const ballot = Math.max(...states.map(([, s]) => s.p));
    let lineage: Lineage | null = null;
    for (const [, s] of states) if (s.lin !== null && (lineage === null || compareBallot(s.lin, lineage) > 0)) lineage = s.lin;
    // Lists are tagged with ballot@view: group ids alone may repeat after the daemons restart.
    const lineageView = lineage === null ? '' : `${lineage.n}@${lineage.view}`;
    const attemptsAbove: Lineage[] = [];
    for (const [, s] of states) {
      for (const a of s.at) {
        if ((lineage === null || compareBallot(a, lineage) > 0) && !attemptsAbove.some((b) => b.view === a.view)) attemptsAbove.push(a);
      }
    }
    if (!isPrimaryView(this.cfg.quorum, run.members, this.cfg.replicas, lineage ?? undefined, attemptsAbove)) {
      return this.stop(run, 'non-primary', `view ${run.key} is not a quorum of lineage ${lineageView || 'genesis'}`);
    }
    const eligible = states.filter(([, s]) => s.list.view === lineageView || s.list.basedOn === lineageView);
    if (eligible.length === 0) return this.stop(run, 'aborted', `no member holds a list of lineage ${lineageView || 'genesis'}`);
    const key = (s: StateMsg): [number, number] => (this.cfg.durability === 'quorum' ? [s.ge, s.len] : [s.len, s.ge]);
    let best = eligible[0]!;
    for (const cand of eligible.slice(1)) {
      const [a1, a2] = key(cand[1]);
      const [b1, b2] = key(best[1]);
      if (a1 > b1 || (a1 === b1 && a2 > b2)) best = cand; // ties keep the lowest name (members are sorted)
    }
    const [chosen, c] = best;
    const chosenTail = run.tails.get(chosen) ?? [];
    const baseIndex = c.len;
    const donors = states.filter(([, s]) => s.ai >= c.ai).map(([m]) => m);
    const laggards = states.filter(([, s]) => !this.keepsEnough(s, c, lineageView)).map(([m]) => m);
    const decision: Decision = {
      view: run.key,
      members: run.members,
      ballot,
      lineage,
      chosen,
      baseIndex,
      chosenApplied: c.ai,
      donors,
      laggards,
    };
    run.decision = decision;
    const mine = run.states.get(this.cfg.me)!;
    if (mine.ai > baseIndex) {
      run.phase = 'non-primary';
      return [{ type: 'fenced', reason: `applied index ${mine.ai} is beyond the new base ${baseIndex} of view ${run.key}` }];
    }
    const keepUpTo = this.keepUpTo(mine, c, lineageView);
    const gap = keepUpTo < c.ai;
    const writeFrom = Math.max(keepUpTo, c.ai);
    const write = chosen === this.cfg.me ? [] : chosenTail.filter((e) => e.i > writeFrom);
    const newLen = gap ? keepUpTo : baseIndex;
    const newGreen = Math.max(mine.ai, gap ? Math.min(keepUpTo, c.ge) : c.ge);
    const thisAttempt: Lineage = { n: ballot, view: run.key, members: run.members };
    const newLineage = lineage !== null && (this.meta.lineage === null || compareBallot(lineage, this.meta.lineage) > 0) ? lineage : this.meta.lineage;
    const attempts = [...this.meta.attempts.filter((a) => newLineage === null || compareBallot(a, newLineage) > 0), thisAttempt];
    this.meta = {
      maxBallot: Math.max(this.meta.maxBallot, ballot),
      lineage: newLineage,
      attempts,
      list: { view: `${ballot}@${run.key}`, basedOn: lineageView },
      greenEnd: newGreen,
      len: newLen,
    };
    run.phase = 'commit';
    run.level = 1;
    return [
      {
        type: 'adopt-and-commit',
        meta: this.meta,
        adoption: { keepUpTo, write, gap },
        decision,
        commit: { k: 'commit', v: run.key, n: ballot },
      },
    ];
  }

  /** How much of its own list member m keeps: entries known to equal the chosen list's. */
  private keepUpTo(s: StateMsg, c: StateMsg, lineageView: string): number {
    if (s === c) return s.len;
    const eligible = s.list.view === lineageView || s.list.basedOn === lineageView;
    if (!eligible) return s.ai;
    const agreed = this.cfg.durability === 'safe' ? s.len : Math.min(s.ge, s.len);
    return Math.max(s.ai, Math.min(agreed, c.ai));
  }

  private keepsEnough(s: StateMsg, c: StateMsg, lineageView: string): boolean {
    return this.keepUpTo(s, c, lineageView) >= c.ai;
  }

  /** All COMMITs delivered in the regular part: persist "may have been activated", send READY. */
  private levelTwo(run: ViewRun): ExchangeAction[] {
    if (run.phase !== 'commit' || run.transitional) return [];
    const d = run.decision!;
    const lineage: Lineage = { n: d.ballot, view: run.key, members: run.members };
    this.meta = { ...this.meta, lineage, attempts: this.meta.attempts.filter((a) => compareBallot(a, lineage) > 0) };
    run.phase = 'ready';
    run.level = 2;
    return [{ type: 'persist-and-ready', meta: this.meta, ready: { k: 'ready', v: run.key, n: d.ballot } }];
  }

  /** All READYs delivered in the regular part: activated. */
  private levelThree(run: ViewRun): ExchangeAction[] {
    if (run.phase !== 'ready' || run.transitional) return [];
    run.phase = 'active';
    run.level = 3;
    return [{ type: 'activate', decision: run.decision! }];
  }
}

