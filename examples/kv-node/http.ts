// The kv-node HTTP API over one KvStore replica (node:http, JSON answers):
//   GET    /kv/<key>[?consistency=linearizable|session|local&minIndex=N&enc=base64]
//   PUT    /kv/<key>[?ttl=MS]      body = the raw value; If-Match: <modIndex>, If-None-Match: *
//   DELETE /kv/<key>               If-Match: <modIndex>
//   GET    /kv?prefix=&start=&end=&limit=&reverse=1[&consistency=...]
//   POST   /cas                    { key, value | valueBase64, expect: {modIndex} | {value} | {valueBase64} | {absent: true}, ttlMs? }
//   GET    /status
// Errors are { error, message, ... } with 400 bad input, 404 missing, 409 compare failed,
// 413 body too large, 503 not primary (writes refused, retry on a primary), 504 outcome unknown.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { KvEntry, KvReadOptions, KvStore } from '../../replication/kv/index.ts';
import {
  CommandFailedError,
  CommandTooLargeError,
  InvalidCommandError,
  NotAppliedError,
  NotPrimaryError,
  RsmClosedError,
  RsmTimeoutError,
  type ReadConsistency,
} from '../../replication/rsm/index.ts';
import type { CasRequestJson, EntryJson, ErrorCode, ErrorJson, StatusJson } from './api.ts';

export interface KvHttpOptions {
  readonly node: string;
  readonly group: string;
  readonly spread: string;
  readonly dataDir: string;
  /** How long a write may wait for its outcome (default 15 s); then 504 (or 503 if never sent). */
  readonly writeTimeoutMs?: number;
  /** Largest request body read (default 1 MiB); the store's own value limit is lower. */
  readonly maxBodyBytes?: number;
}

/** A refusal with its HTTP status, thrown by handlers and turned into the JSON error answer. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorJson,
  ) {
    super(body.message);
  }
}

const bad = (message: string): HttpError => new HttpError(400, { error: 'BAD_REQUEST', message });
const utf8 = new TextDecoder('utf-8', { fatal: true });

function entryJson(e: KvEntry, base64 = false): EntryJson {
  let text: string | undefined;
  if (!base64) {
    try {
      text = utf8.decode(e.value);
    } catch {
      text = undefined;
    }
  }
  const value = text !== undefined ? { value: text } : { valueBase64: Buffer.from(e.value).toString('base64') };
  return { key: e.key, ...value, createIndex: e.createIndex, modIndex: e.modIndex, version: e.version, ...(e.expiresAt !== undefined ? { expiresAt: e.expiresAt } : {}) };
}

export function statusJson(kv: KvStore, o: KvHttpOptions): StatusJson {
  const s = kv.status();
  return {
    node: o.node,
    group: o.group,
    spread: o.spread,
    dataDir: o.dataDir,
    primary: s.mode === 'primary' && !s.catchingUp,
    mode: s.mode,
    view: s.view ?? null,
    members: s.members,
    ballot: s.ballot,
    appliedIndex: s.appliedIndex,
    digest: s.digest,
    catchingUp: s.catchingUp,
    ...(s.transfer !== undefined ? { transfer: s.transfer } : {}),
  };
}

/** The library's typed failures as HTTP answers. */
function errorAnswer(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const answer = (status: number, error: ErrorCode, extra: Partial<ErrorJson> = {}): HttpError => new HttpError(status, { error, message, ...extra });
  if (err instanceof NotPrimaryError) return answer(503, 'NOT_PRIMARY', { view: err.view ?? null, members: err.members });
  if (err instanceof NotAppliedError) return answer(503, 'NOT_APPLIED');
  if (err instanceof RsmClosedError) return answer(503, 'CLOSED');
  if (err instanceof RsmTimeoutError) return answer(504, 'TIMEOUT');
  if (err instanceof InvalidCommandError || err instanceof CommandTooLargeError) return answer(400, 'BAD_REQUEST');
  if (err instanceof CommandFailedError) return answer(500, 'COMMAND_FAILED');
  return answer(500, 'INTERNAL');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  // Past the limit the rest is read and dropped: answering mid-upload makes clients see a reset, not the 413.
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n <= max) chunks.push(c);
  }
  if (n > max) throw new HttpError(413, { error: 'PAYLOAD_TOO_LARGE', message: `request body is larger than ${max} bytes` });
  return Buffer.concat(chunks);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw bad(`${name} must be a non-negative integer, got '${v}'`);
  return Number(v);
}

/** If-Match: a mod index (quotes allowed, as an ETag). */
function ifMatch(req: IncomingMessage): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const v = h.trim().replace(/^"(.*)"$/, '$1');
  if (!/^\d+$/.test(v)) throw bad(`If-Match must be a mod index, got '${h}'`);
  return Number(v);
}

function readOptions(q: URLSearchParams): KvReadOptions {
  const c = q.get('consistency') ?? 'linearizable';
  if (c !== 'linearizable' && c !== 'session' && c !== 'local') throw bad(`consistency must be linearizable, session or local, got '${c}'`);
  const minIndex = intParam(q, 'minIndex');
  return { consistency: c satisfies ReadConsistency, ...(minIndex !== undefined ? { minIndex } : {}) };
}

function casFailed(key: string, index: number, current: KvEntry | undefined): HttpError {
  const message = current === undefined ? `${key} does not exist` : `${key} is at mod index ${current.modIndex}`;
  return new HttpError(409, { error: 'CAS_FAILED', message, key, index, ...(current !== undefined ? { current: entryJson(current) } : {}) });
}

function bytesOf(text: string | undefined, b64: string | undefined, what: string): Uint8Array {
  if (typeof text === 'string') return new TextEncoder().encode(text);
  if (typeof b64 === 'string') return new Uint8Array(Buffer.from(b64, 'base64'));
  throw bad(`${what}: give value (text) or valueBase64`);
}

export function createKvHttpServer(kv: KvStore, o: KvHttpOptions): Server {
  const writeTimeoutMs = o.writeTimeoutMs ?? 15_000;
  const maxBody = o.maxBodyBytes ?? 1024 * 1024;

  async function onKey(req: IncomingMessage, res: ServerResponse, key: string, q: URLSearchParams): Promise<void> {
    if (key === '') throw bad('empty key');
    if (req.method === 'GET') {
      const r = await kv.get(key, readOptions(q));
      if (r.entry === undefined) throw new HttpError(404, { error: 'NOT_FOUND', message: `${key} not found`, key, index: r.index, stale: r.stale });
      return send(res, 200, { entry: entryJson(r.entry, q.get('enc') === 'base64'), index: r.index, stale: r.stale });
    }
    if (req.method === 'PUT') {
      const value = new Uint8Array(await readBody(req, maxBody));
      const ttlMs = intParam(q, 'ttl');
      if (ttlMs === 0) throw bad('ttl must be at least 1 ms');
      const w = { timeoutMs: writeTimeoutMs, ...(ttlMs !== undefined ? { ttlMs } : {}) };
      if (req.headers['if-none-match']?.trim() === '*') {
        const r = await kv.compareAndSet(key, { absent: true }, value, w);
        if (!r.ok) throw casFailed(key, r.index, r.current);
        return send(res, 200, { ok: true, index: r.index });
      }
      const mod = ifMatch(req);
      const r = await kv.put(key, value, { ...w, ...(mod !== undefined ? { ifModIndex: mod } : {}) });
      if (!r.ok) throw casFailed(key, r.index, r.current);
      return send(res, 200, { ok: true, index: r.index, ...(r.prev !== undefined ? { prev: entryJson(r.prev) } : {}) });
    }
    if (req.method === 'DELETE') {
      const mod = ifMatch(req);
      const r = await kv.delete(key, { timeoutMs: writeTimeoutMs, ...(mod !== undefined ? { ifModIndex: mod } : {}) });
      if (!r.ok) throw casFailed(key, r.index, r.prev);
      if (!r.deleted) throw new HttpError(404, { error: 'NOT_FOUND', message: `${key} not found`, key, index: r.index });
      return send(res, 200, { deleted: true, index: r.index, ...(r.prev !== undefined ? { prev: entryJson(r.prev) } : {}) });
    }
    throw new HttpError(405, { error: 'METHOD_NOT_ALLOWED', message: `${req.method ?? '?'} /kv/<key>: use GET, PUT or DELETE` });
  }

  async function onRange(req: IncomingMessage, res: ServerResponse, q: URLSearchParams): Promise<void> {
    if (req.method !== 'GET') throw new HttpError(405, { error: 'METHOD_NOT_ALLOWED', message: 'use GET /kv?prefix=...' });
    const limit = intParam(q, 'limit');
    const start = q.get('start');
    const end = q.get('end');
    const r = await kv.range(
      { prefix: q.get('prefix') ?? '', ...(start ? { gte: start } : {}), ...(end ? { lt: end } : {}), ...(limit !== undefined ? { limit } : {}), reverse: q.get('reverse') === '1' || q.get('reverse') === 'true' },
      readOptions(q),
    );
    const b64 = q.get('enc') === 'base64';
    send(res, 200, { entries: r.entries.map((e) => entryJson(e, b64)), more: r.more, index: r.index, stale: r.stale });
  }

  async function onCas(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, { error: 'METHOD_NOT_ALLOWED', message: 'use POST /cas' });
    let b: CasRequestJson;
    try {
      b = JSON.parse((await readBody(req, maxBody)).toString('utf8')) as CasRequestJson;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw bad('body must be JSON: { key, value, expect: { modIndex } | { value } | { absent: true } }');
    }
    if (typeof b !== 'object' || b === null || typeof b.key !== 'string' || b.key === '') throw bad('key must be a non-empty string');
    const e = b.expect as Record<string, unknown> | undefined;
    if (typeof e !== 'object' || e === null) throw bad('expect must be { modIndex } | { value } | { valueBase64 } | { absent: true }');
    const expect =
      e.absent === true
        ? ({ absent: true } as const)
        : typeof e.modIndex === 'number' && Number.isSafeInteger(e.modIndex) && e.modIndex >= 0
          ? { modIndex: e.modIndex }
          : { value: bytesOf(e.value as string | undefined, e.valueBase64 as string | undefined, 'expect') };
    if (b.ttlMs !== undefined && !(Number.isSafeInteger(b.ttlMs) && b.ttlMs > 0)) throw bad('ttlMs must be a positive integer');
    const r = await kv.compareAndSet(b.key, expect, bytesOf(b.value, b.valueBase64, 'cas'), { timeoutMs: writeTimeoutMs, ...(b.ttlMs !== undefined ? { ttlMs: b.ttlMs } : {}) });
    if (!r.ok) throw casFailed(b.key, r.index, r.current);
    send(res, 200, { ok: true, index: r.index, ...(r.current !== undefined ? { current: entryJson(r.current) } : {}) });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kv-node');
    const path = url.pathname;
    if (path === '/kv' || path === '/kv/') return onRange(req, res, url.searchParams);
    if (path.startsWith('/kv/')) {
      let key: string;
      try {
        key = decodeURIComponent(path.slice(4));
      } catch {
        throw bad('key is not valid percent-encoding');
      }
      return onKey(req, res, key, url.searchParams);
    }
    if (path === '/cas') return onCas(req, res);
    if (path === '/status' && req.method === 'GET') return send(res, 200, statusJson(kv, o));
    throw new HttpError(404, { error: 'NO_ROUTE', message: `no route ${req.method ?? '?'} ${path}: see GET/PUT/DELETE /kv/<key>, GET /kv, POST /cas, GET /status` });
  }

  return createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const a = errorAnswer(err);
      if (!res.headersSent) send(res, a.status, a.body);
      else res.destroy();
    });
  });
}
