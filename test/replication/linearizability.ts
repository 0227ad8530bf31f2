// Linearizability checker for per-key register histories (design 5.3): a Wing & Gong / Lowe
// search with memoisation of (linearized set, register value), per key (linearizability is
// compositional). `info` operations (outcome unknown) may take effect at any point after their
// invocation, or never; `fail` operations never happened. Pure: no I/O, no clock.

export type RegisterValue = string | null;

export type OpKind = 'read' | 'write' | 'cas';

/** One line of a recorded history. */
export interface HistoryEvent {
  readonly process: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: OpKind;
  readonly key: string;
  /** invoke: write -> the value, cas -> [expected, new]; ok: read -> the value read, cas -> success flag. */
  readonly value?: RegisterValue | readonly [RegisterValue, RegisterValue] | boolean;
  /** Monotonic time (ms or ns) of the event. */
  readonly time: number;
}

interface Op {
  readonly id: number;
  readonly f: OpKind;
  readonly input: RegisterValue | readonly [RegisterValue, RegisterValue] | undefined;
  /** read: value; cas: flag; undefined when unknown (info). */
  readonly output: RegisterValue | boolean | undefined;
  readonly call: number;
  readonly ret: number;
  readonly known: boolean;
}

export interface CheckResult {
  readonly ok: boolean;
  /** Keys whose history has no linearization. */
  readonly badKeys: readonly string[];
  /** Human-readable reasons (malformed histories, search limits). */
  readonly problems: readonly string[];
}

/** Pairs invocations with completions, per key; malformed lines are reported. */
function toOps(events: readonly HistoryEvent[], problems: string[]): Map<string, Op[]> {
  const open = new Map<number, HistoryEvent>();
  const byKey = new Map<string, Op[]>();
  let id = 0;
  const add = (inv: HistoryEvent, end: HistoryEvent | undefined): void => {
    if (end?.type === 'fail') return; // definitely did not happen
    const known = end !== undefined && end.type === 'ok';
    if (!known && inv.f === 'read') return; // an unanswered read constrains nothing
    const op: Op = {
      id: id++,
      f: inv.f,
      input: inv.value as Op['input'],
      output: known ? (end.value as Op['output']) : undefined,
      call: inv.time,
      ret: known ? end.time : Number.POSITIVE_INFINITY,
      known,
    };
    const list = byKey.get(inv.key) ?? [];
    list.push(op);
    byKey.set(inv.key, list);
  };
  for (const e of events) {
    if (e.type === 'invoke') {
      if (open.has(e.process)) problems.push(`process ${e.process} invoked twice without completing`);
      open.set(e.process, e);
      continue;
    }
    const inv = open.get(e.process);
    if (inv === undefined || inv.f !== e.f || inv.key !== e.key) {
      problems.push(`completion without matching invocation: ${JSON.stringify(e)}`);
      continue;
    }
    open.delete(e.process);
    add(inv, e);
  }
  for (const inv of open.values()) add(inv, undefined); // never completed = info
  return byKey;
}

/** Applies op to the register; undefined when the op's recorded output is impossible there. */
function step(state: RegisterValue, op: Op): RegisterValue[] {
  switch (op.f) {
    case 'write':
      return [op.input as RegisterValue];
    case 'read':
      return op.output === state ? [state] : [];
    case 'cas': {
      const [expect, next] = op.input as readonly [RegisterValue, RegisterValue];
      const holds = state === expect;
      if (!op.known) return holds ? [next, state] : [state]; // may or may not have happened
      if (op.output === true) return holds ? [next] : [];
      return holds ? [] : [state];
    }
  }
}

/** Is this one key's history linearizable (from `initial`)? Bounded by `maxStates` explored. */
export function checkKey(ops: readonly Op[], initial: RegisterValue, maxStates = 2_000_000): 'ok' | 'bad' | 'limit' {
  const n = ops.length;
  const sorted = [...ops].sort((a, b) => a.call - b.call);
  const knownCount = sorted.filter((o) => o.known).length;
  const done = new Array<boolean>(n).fill(false);
  const seen = new Set<string>();
  let explored = 0;
  const key = (state: RegisterValue): string => `${done.map((d) => (d ? '1' : '0')).join('')}|${JSON.stringify(state)}`;
  const search = (state: RegisterValue, linearizedKnown: number): boolean | 'limit' => {
    if (linearizedKnown === knownCount) return true;
    const k = key(state);
    if (seen.has(k)) return false;
    seen.add(k);
    if (++explored > maxStates) return 'limit';
    // An op may go next only if it was invoked before every pending op's return.
    let minRet = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) if (!done[i]) minRet = Math.min(minRet, sorted[i]!.ret);
    for (let i = 0; i < n; i++) {
      if (done[i]) continue;
      const op = sorted[i]!;
      if (op.call > minRet) break; // sorted by call: no later op qualifies
      for (const next of step(state, op)) {
        done[i] = true;
        const r = search(next, linearizedKnown + (op.known ? 1 : 0));
        done[i] = false;
        if (r !== false) return r;
      }
    }
    return false;
  };
  const r = search(initial, 0);
  return r === true ? 'ok' : r === 'limit' ? 'limit' : 'bad';
}

/** Checks a whole history, key by key; every register starts absent (null) unless `initial` says otherwise. */
export function checkHistory(events: readonly HistoryEvent[], initial: ReadonlyMap<string, RegisterValue> = new Map()): CheckResult {
  const problems: string[] = [];
  const byKey = toOps(events, problems);
  const badKeys: string[] = [];
  for (const [k, ops] of byKey) {
    const r = checkKey(ops, initial.get(k) ?? null);
    if (r === 'bad') badKeys.push(k);
    if (r === 'limit') problems.push(`search limit reached for key ${k} (${ops.length} operations)`);
  }
  return { ok: badKeys.length === 0 && problems.length === 0, badKeys, problems };
}

/** Records a history as clients run (monotonic clock injected). */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  constructor(private readonly now: () => number) {}

  async run<T>(process: number, f: OpKind, key: string, input: HistoryEvent['value'], fn: () => Promise<T>, output: (r: T) => HistoryEvent['value'] | 'fail'): Promise<T | undefined> {
    this.events.push({ process, type: 'invoke', f, key, ...(input !== undefined ? { value: input } : {}), time: this.now() });
    try {
      const r = await fn();
      const out = output(r);
      if (out === 'fail') this.events.push({ process, type: 'fail', f, key, time: this.now() });
      else this.events.push({ process, type: 'ok', f, key, value: out, time: this.now() });
      return r;
    } catch {
      this.events.push({ process, type: 'info', f, key, time: this.now() });
      return undefined;
    }
  }
}
