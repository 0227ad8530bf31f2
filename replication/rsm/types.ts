// Public and shared types of the replicated state machine.
import type { Draft } from 'immer';

/** A JSON value: commands, results and state values must be JSON so every replica encodes them alike. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The replicated state: a map of string keys to JSON values (one LevelDB entry per key). */
export type StateMap = Record<string, Json>;

/** Identifies one client request; the pair deduplicates retries (design 2.10). */
export interface RequestId {
  readonly clientId: string;
  readonly seq: number;
}

/** Given to a recipe: everything it may depend on besides the state and the command. */
export interface ApplyContext {
  readonly index: number;
  /** Milliseconds, chosen by the submitting replica and carried in the command. */
  readonly timestamp: number;
  readonly clientId: string;
  readonly seq: number;
  /** Deterministic PRNG in [0, 1), seeded from the index. */
  random(): number;
}

/** Reads the applied state by key (and key range); used to declare what a command touches. */
export interface StateReader {
  get(key: string): Promise<Json | undefined>;
  /** Keys k with gte <= k < lt, ascending, at most `limit`. */
  keys(range: { gte: string; lt: string; limit?: number }): Promise<string[]>;
}

export interface StateMachine<C extends Json = Json, R extends Json = Json> {
  /** Distinguishes machines sharing nothing; part of the group name. */
  readonly name: string;
  /**
   * Initial state (index 0). For machines without `keysOf` the whole state is kept in memory;
   * with `keysOf` only the declared keys are loaded for each command (LevelDB-backed state).
   */
  readonly initialState?: StateMap;
  /** Checks a command before it is sent; throw a typed error to refuse it. */
  validate?(command: C): void;
  /**
   * Keys a command reads or writes. With it, the recipe's draft holds only these keys (absent
   * ones are missing); writing any other key fails the command. Must be deterministic.
   */
  keysOf?(command: C, reader: StateReader): Promise<readonly string[]> | readonly string[];
  /**
   * The recipe (immer): mutate the draft, return the result. Must be deterministic: no clock,
   * no Math.random, no I/O. A throw fails the command on every replica alike (state unchanged).
   */
  apply(draft: Draft<StateMap>, command: C, ctx: ApplyContext): R;
}

export type Durability = 'quorum' | 'safe';
export type CommandService = 'safe' | 'agreed';
export type QuorumPolicy = 'static-majority' | { readonly kind: 'dynamic-linear'; readonly minPrimarySize: number };
export type ReadConsistency = 'local' | 'session' | 'linearizable';

/** One key changed by an applied command. */
export interface StateChange {
  readonly key: string;
  readonly before?: Json;
  readonly after?: Json;
}

/** Emitted on `applied$` for every index applied on this replica, in index order. */
export interface AppliedEvent<C extends Json = Json, R extends Json = Json> {
  readonly index: number;
  readonly command: C;
  readonly requestId: RequestId;
  readonly timestamp: number;
  /** The result, or the error text if the recipe threw. */
  readonly result: { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: string; readonly stale?: boolean };
  /** Changes to user keys (reserved dedup keys are left out). */
  readonly changes: readonly StateChange[];
  /** False when the command was a duplicate of an already applied request. */
  readonly fresh: boolean;
}

export interface RsmStatus {
  readonly replicaId: string;
  /** The group id of the current view, "a b c", or undefined before the first view. */
  readonly view: string | undefined;
  readonly members: readonly string[];
  /** 'primary' = activated; 'exchanging' = state exchange running; 'non-primary' = minority. */
  readonly mode: 'connecting' | 'exchanging' | 'primary' | 'non-primary' | 'closed';
  readonly ballot: number;
  readonly appliedIndex: number;
  readonly digest: string;
  /** True while this replica waits for a state transfer. */
  readonly catchingUp: boolean;
  readonly transfer?: { readonly role: 'donor' | 'receiver'; readonly peer: string; readonly bytes: number };
}
