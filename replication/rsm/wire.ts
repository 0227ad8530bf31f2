// RSM messages on the group (JSON bodies). The one copy of this format: encode for sending,
// decode validates every field and returns undefined for anything malformed (never throws).
import type { Json, StateChange } from './types.ts';

/** A log entry: one command at one index of a replica's list. */
export interface LogEntry {
  readonly i: number;
  readonly c: string;
  readonly s: number;
  readonly ts: number;
  readonly b: Json;
  /** Recorded when applied: the changes to user keys and the result (for watches and audits). */
  readonly ch?: readonly StateChange[];
  readonly r?: { readonly ok: true; readonly value: Json } | { readonly ok: false; readonly error: string };
}

/** The last view this replica knows may have been activated (design 2.6). */
export interface Lineage {
  readonly n: number;
  readonly view: string;
  readonly members: readonly string[];
}

/** Which view's base a replica's list was adopted in, and that view's lineage. */
export interface ListTag {
  readonly view: string;
  readonly basedOn: string;
}

export type RsmMessage =
  | { readonly k: 'cmd'; readonly v: string; readonly c: string; readonly s: number; readonly ts: number; readonly b: Json }
  | { readonly k: 'tail'; readonly v: string; readonly e: readonly LogEntry[] }
  | {
      readonly k: 'state';
      readonly v: string;
      readonly p: number;
      readonly lin: Lineage | null;
      /** Views above `lin` where the sender reached level 1 (dynamic voting). */
      readonly at: readonly Lineage[];
      readonly list: ListTag;
      readonly ai: number;
      readonly ad: string;
      readonly ge: number;
      readonly len: number;
      readonly tn: number;
    }
  | { readonly k: 'commit'; readonly v: string; readonly n: number }
  | { readonly k: 'ready'; readonly v: string; readonly n: number }
  | { readonly k: 'pers'; readonly v: string; readonly u: number }
  | { readonly k: 'read'; readonly v: string; readonly r: number }
  | { readonly k: 'xreq'; readonly v: string; readonly x: string; readonly from: number }
  | {
      readonly k: 'xchunk';
      readonly v: string;
      readonly x: string;
      readonly q: number;
      readonly mode: 'log' | 'snap';
      readonly log?: readonly LogEntry[];
      readonly kv?: ReadonlyArray<readonly [string, Json]>;
      readonly end?: { readonly index: number; readonly digest: string };
    }
  | { readonly k: 'xack'; readonly v: string; readonly x: string; readonly q: number }
  | { readonly k: 'xfail'; readonly v: string; readonly x: string; readonly reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeMessage(m: RsmMessage): Uint8Array {
  return encoder.encode(JSON.stringify(m));
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

export function isJson(x: unknown, depth = 0): x is Json {
  if (depth > 64) return false;
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  if (Array.isArray(x)) return x.every((y) => isJson(y, depth + 1));
  if (isObj(x)) return Object.values(x).every((y) => isJson(y, depth + 1));
  return false;
}

export function isLogEntry(x: unknown): x is LogEntry {
  return isObj(x) && isNat(x.i) && x.i > 0 && isStr(x.c) && isNat(x.s) && isNum(x.ts) && 'b' in x && isJson(x.b);
}

function isLineage(x: unknown): x is Lineage {
  return isObj(x) && isNat(x.n) && isStr(x.view) && Array.isArray(x.members) && x.members.every(isStr);
}

function isListTag(x: unknown): x is ListTag {
  return isObj(x) && isStr(x.view) && isStr(x.basedOn);
}

function isKvPairs(x: unknown): x is Array<[string, Json]> {
  return Array.isArray(x) && x.every((p) => Array.isArray(p) && p.length === 2 && isStr(p[0]) && isJson(p[1]));
}

/** Parses and checks one message body; undefined if it is not a well-formed RSM message. */
export function decodeMessage(bytes: Uint8Array): RsmMessage | undefined {
  let x: unknown;
  try {
    x = JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
  if (!isObj(x) || !isStr(x.v)) return undefined;
  switch (x.k) {
    case 'cmd':
      return isStr(x.c) && isNat(x.s) && isNum(x.ts) && 'b' in x && isJson(x.b) ? (x as RsmMessage) : undefined;
    case 'tail':
      return Array.isArray(x.e) && x.e.every(isLogEntry) ? (x as RsmMessage) : undefined;
    case 'state':
      return isNat(x.p) &&
        (x.lin === null || isLineage(x.lin)) &&
        Array.isArray(x.at) &&
        x.at.every(isLineage) &&
        isListTag(x.list) &&
        isNat(x.ai) &&
        isStr(x.ad) &&
        isNat(x.ge) &&
        isNat(x.len) &&
        isNat(x.tn)
        ? (x as RsmMessage)
        : undefined;
    case 'commit':
    case 'ready':
      return isNat(x.n) ? (x as RsmMessage) : undefined;
    case 'pers':
      return isNat(x.u) ? (x as RsmMessage) : undefined;
    case 'read':
      return isNat(x.r) ? (x as RsmMessage) : undefined;
    case 'xreq':
      return isStr(x.x) && isNat(x.from) ? (x as RsmMessage) : undefined;
    case 'xchunk': {
      if (!isStr(x.x) || !isNat(x.q) || (x.mode !== 'log' && x.mode !== 'snap')) return undefined;
      if (x.log !== undefined && !(Array.isArray(x.log) && x.log.every(isLogEntry))) return undefined;
      if (x.kv !== undefined && !isKvPairs(x.kv)) return undefined;
      if (x.end !== undefined && !(isObj(x.end) && isNat(x.end.index) && isStr(x.end.digest))) return undefined;
      return x as RsmMessage;
    }
    case 'xack':
      return isStr(x.x) && isNat(x.q) ? (x as RsmMessage) : undefined;
    case 'xfail':
      return isStr(x.x) && isStr(x.reason) ? (x as RsmMessage) : undefined;
    default:
      return undefined;
  }
}

/** UTF-8 size of a JSON value as sent. */
export function jsonBytes(x: Json): number {
  return encoder.encode(JSON.stringify(x)).length;
}
