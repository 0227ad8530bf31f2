// KV commands as an RSM state machine (design 3.2, 3.3) [core]: command shapes, validation, the
// keys each command touches, and the immer recipe. Deterministic: expiry times are absolute and
// carried in the command, the index comes from the apply context.
import type { Draft } from 'immer';
import type { ApplyContext, Json, StateMachine, StateMap, StateReader } from '../rsm/index.ts';

/** A stored entry (values base64). */
export interface StoredEntry {
  readonly v: string;
  readonly ci: number;
  readonly mi: number;
  readonly ver: number;
  readonly exp?: number;
}

export type KvOpCommand =
  | { readonly op: 'put'; readonly k: string; readonly v: string; readonly exp?: number }
  | { readonly op: 'del'; readonly k: string }
  | { readonly op: 'delr'; readonly p: string };

export type KvGuardCommand = { readonly k: string; readonly mod: number } | { readonly k: string; readonly absent: true };

export type KvCommand =
  | { readonly t: 'put'; readonly k: string; readonly v: string; readonly exp?: number; readonly ifMod?: number }
  | { readonly t: 'del'; readonly k: string; readonly ifMod?: number }
  | { readonly t: 'delr'; readonly p: string }
  | {
      readonly t: 'cas';
      readonly k: string;
      readonly expect: { readonly mod: number } | { readonly val: string } | { readonly absent: true };
      readonly v: string;
      readonly exp?: number;
    }
  | { readonly t: 'txn'; readonly ops: readonly KvOpCommand[]; readonly guards: readonly KvGuardCommand[] }
  | { readonly t: 'exp'; readonly upTo: number }
  | { readonly t: 'noop' };

export const DATA = 'k/';
export const TTL = 't/';
const TOP = '\u{10ffff}';
export const dataKey = (k: string): string => DATA + k;
export const ttlKey = (exp: number, k: string): string => `${TTL}${String(exp).padStart(15, '0')}/${k}`;

export class KvKeyError extends Error {
  override name = 'KvKeyError';
}
export class KvValueTooLargeError extends Error {
  override name = 'KvValueTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`value is ${bytes} bytes, limit is ${limit}`);
  }
}

export const MAX_KEY_BYTES = 1024;
const encoder = new TextEncoder();

export function checkKey(k: unknown): asserts k is string {
  if (typeof k !== 'string' || k.length === 0) throw new KvKeyError('key must be a non-empty string');
  if (encoder.encode(k).length > MAX_KEY_BYTES) throw new KvKeyError(`key is longer than ${MAX_KEY_BYTES} bytes`);
}

/** Decoded size of a base64 value. */
export function base64Bytes(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

function checkValue(v: unknown, maxValueBytes: number): void {
  if (typeof v !== 'string') throw new KvKeyError('value must be base64 text');
  const n = base64Bytes(v);
  if (n > maxValueBytes) throw new KvValueTooLargeError(n, maxValueBytes);
}

function checkExp(exp: unknown): void {
  if (exp !== undefined && !(typeof exp === 'number' && Number.isSafeInteger(exp) && exp >= 0)) throw new KvKeyError('expiry must be a non-negative integer (ms)');
}

function checkOp(op: KvOpCommand, maxValueBytes: number): void {
  switch (op.op) {
    case 'put':
      checkKey(op.k);
      checkValue(op.v, maxValueBytes);
      checkExp(op.exp);
      return;
    case 'del':
      checkKey(op.k);
      return;
    case 'delr':
      if (typeof op.p !== 'string') throw new KvKeyError('prefix must be a string');
      return;
    default:
      throw new KvKeyError(`unknown batch op ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/** Throws a typed error for a malformed command; also run by every replica before applying. */
export function validateCommand(c: KvCommand, maxValueBytes: number): void {
  switch (c.t) {
    case 'put':
      checkKey(c.k);
      checkValue(c.v, maxValueBytes);
      checkExp(c.exp);
      return;
    case 'del':
      checkKey(c.k);
      return;
    case 'delr':
      if (typeof c.p !== 'string') throw new KvKeyError('prefix must be a string');
      return;
    case 'cas':
      checkKey(c.k);
      checkValue(c.v, maxValueBytes);
      checkExp(c.exp);
      return;
    case 'txn':
      if (!Array.isArray(c.ops) || !Array.isArray(c.guards)) throw new KvKeyError('txn needs ops and guards');
      for (const op of c.ops) checkOp(op, maxValueBytes);
      for (const g of c.guards) checkKey(g.k);
      return;
    case 'exp':
      checkExp(c.upTo);
      return;
    case 'noop':
      return;
    default:
      throw new KvKeyError(`unknown KV command ${JSON.stringify((c as { t?: unknown }).t)}`);
  }
}

async function withTtl(reader: StateReader, k: string, out: Set<string>): Promise<void> {
  out.add(dataKey(k));
  const cur = (await reader.get(dataKey(k))) as StoredEntry | undefined;
  if (cur?.exp !== undefined) out.add(ttlKey(cur.exp, k));
}

async function prefixKeys(reader: StateReader, p: string, out: Set<string>): Promise<void> {
  for (const dk of await reader.keys({ gte: dataKey(p), lt: dataKey(p) + TOP })) await withTtl(reader, dk.slice(DATA.length), out);
}

/** The keys a command reads or writes (data entries and their TTL index entries). */
export async function keysOf(c: KvCommand, reader: StateReader): Promise<string[]> {
  const out = new Set<string>();
  switch (c.t) {
    case 'put':
    case 'cas':
      await withTtl(reader, c.k, out);
      if (c.exp !== undefined) out.add(ttlKey(c.exp, c.k));
      break;
    case 'del':
      await withTtl(reader, c.k, out);
      break;
    case 'delr':
      await prefixKeys(reader, c.p, out);
      break;
    case 'txn':
      for (const g of c.guards) out.add(dataKey(g.k));
      for (const op of c.ops) {
        if (op.op === 'delr') await prefixKeys(reader, op.p, out);
        else {
          await withTtl(reader, op.k, out);
          if (op.op === 'put' && op.exp !== undefined) out.add(ttlKey(op.exp, op.k));
        }
      }
      break;
    case 'exp':
      for (const tk of await reader.keys({ gte: TTL, lt: ttlKey(c.upTo + 1, '') })) {
        out.add(tk);
        out.add(dataKey(tk.slice(TTL.length + 16)));
      }
      break;
    case 'noop':
      break;
  }
  return [...out];
}

type D = Draft<StateMap>;

/** A plain copy of the entry (never a draft: results outlive the recipe). */
function getEntry(d: D, k: string): StoredEntry | undefined {
  const e = d[dataKey(k)] as unknown as StoredEntry | undefined;
  return e === undefined ? undefined : { ...e };
}

function putEntry(d: D, k: string, v: string, exp: number | undefined, index: number): StoredEntry | undefined {
  const prev = getEntry(d, k);
  if (prev?.exp !== undefined) delete d[ttlKey(prev.exp, k)];
  const next: StoredEntry = { v, ci: prev?.ci ?? index, mi: index, ver: (prev?.ver ?? 0) + 1, ...(exp !== undefined ? { exp } : {}) };
  d[dataKey(k)] = next as unknown as Json;
  if (exp !== undefined) d[ttlKey(exp, k)] = 1;
  return prev;
}

function delEntry(d: D, k: string): StoredEntry | undefined {
  const prev = getEntry(d, k);
  if (prev === undefined) return undefined;
  if (prev.exp !== undefined) delete d[ttlKey(prev.exp, k)];
  delete d[dataKey(k)];
  return prev;
}

function keysWithPrefix(d: D, p: string): string[] {
  return Object.keys(d)
    .filter((dk) => dk.startsWith(DATA + p))
    .map((dk) => dk.slice(DATA.length))
    .sort();
}

const asJson = (e: StoredEntry | undefined): Json => (e === undefined ? null : (e as unknown as Json));

/** The recipe. Results are JSON: { ok, prev?, current?, deleted?, expired? }. */
export function applyKv(d: D, c: KvCommand, ctx: ApplyContext): Json {
  switch (c.t) {
    case 'put': {
      const cur = getEntry(d, c.k);
      if (c.ifMod !== undefined && (cur?.mi ?? 0) !== c.ifMod) return { ok: false, current: asJson(cur) };
      return { ok: true, prev: asJson(putEntry(d, c.k, c.v, c.exp, ctx.index)) };
    }
    case 'del': {
      const cur = getEntry(d, c.k);
      if (c.ifMod !== undefined && (cur?.mi ?? 0) !== c.ifMod) return { ok: false, deleted: false, current: asJson(cur) };
      const prev = delEntry(d, c.k);
      return { ok: true, deleted: prev !== undefined, prev: asJson(prev) };
    }
    case 'delr': {
      const keys = keysWithPrefix(d, c.p);
      for (const k of keys) delEntry(d, k);
      return { ok: true, deleted: keys.length };
    }
    case 'cas': {
      const cur = getEntry(d, c.k);
      const e = c.expect;
      const holds = 'absent' in e ? cur === undefined : 'mod' in e ? cur !== undefined && cur.mi === e.mod : cur !== undefined && cur.v === e.val;
      if (!holds) return { ok: false, current: asJson(cur) };
      putEntry(d, c.k, c.v, c.exp, ctx.index);
      return { ok: true };
    }
    case 'txn': {
      for (const g of c.guards) {
        const cur = getEntry(d, g.k);
        const holds = 'absent' in g ? cur === undefined : cur !== undefined && cur.mi === g.mod;
        if (!holds) return { ok: false, failedGuard: g.k };
      }
      for (const op of c.ops) {
        if (op.op === 'put') putEntry(d, op.k, op.v, op.exp, ctx.index);
        else if (op.op === 'del') delEntry(d, op.k);
        else for (const k of keysWithPrefix(d, op.p)) delEntry(d, k);
      }
      return { ok: true };
    }
    case 'exp': {
      let expired = 0;
      for (const tk of Object.keys(d).filter((x) => x.startsWith(TTL))) {
        const exp = Number(tk.slice(TTL.length, TTL.length + 15));
        const k = tk.slice(TTL.length + 16);
        if (exp > c.upTo) continue;
        delete d[tk];
        const cur = getEntry(d, k);
        if (cur !== undefined && cur.exp === exp) {
          delete d[dataKey(k)];
          expired++;
        }
      }
      return { ok: true, expired };
    }
    case 'noop':
      return { ok: true };
    default:
      throw new Error(`unknown KV command ${JSON.stringify((c as { t?: unknown }).t)}`);
  }
}

/** The KV store as an RSM state machine. */
export function kvMachine(maxValueBytes: number, name = 'kv'): StateMachine<Json, Json> {
  return {
    name,
    initialState: {},
    validate: (c) => validateCommand(c as unknown as KvCommand, maxValueBytes),
    keysOf: (c, reader) => {
      validateCommand(c as unknown as KvCommand, maxValueBytes);
      return keysOf(c as unknown as KvCommand, reader);
    },
    apply: (d, c, ctx) => applyKv(d, c as unknown as KvCommand, ctx),
  };
}
