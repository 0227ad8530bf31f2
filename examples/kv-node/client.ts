// A small typed client for the kv-node HTTP API (fetch): used by kvctl and by the cluster.
// Refusals come back as KvHttpError carrying the HTTP status and the JSON error body.
import type { CasRequestJson, DeleteJson, ErrorJson, GetJson, PutJson, RangeJson, StatusJson, CasJson } from './api.ts';

export class KvHttpError extends Error {
  override readonly name = 'KvHttpError';
  constructor(
    readonly status: number,
    readonly body: ErrorJson,
  ) {
    super(body.message);
  }
}

/** The node could not be reached at all (not running, wrong port). */
export class KvUnreachableError extends Error {
  override readonly name = 'KvUnreachableError';
}

export type Consistency = 'linearizable' | 'session' | 'local';

export interface ReadQuery {
  readonly consistency?: Consistency;
  readonly minIndex?: number;
  readonly base64?: boolean;
}

export interface RangeQuery extends ReadQuery {
  readonly prefix?: string;
  readonly start?: string;
  readonly end?: string;
  readonly limit?: number;
  readonly reverse?: boolean;
}

function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== false) q.set(k, v === true ? '1' : String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

function readParams(o: ReadQuery): Record<string, string | number | undefined> {
  return { consistency: o.consistency, minIndex: o.minIndex, enc: o.base64 === true ? 'base64' : undefined };
}

export class KvHttpClient {
  readonly base: string;

  constructor(
    base: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  private async call<T>(method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string> } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, body: init.body, headers: init.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : err instanceof Error ? `: ${err.message}` : '';
      throw new KvUnreachableError(`cannot reach ${this.base}${cause}`, { cause: err });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new KvHttpError(res.status, { error: 'INTERNAL', message: `not a kv-node answer (HTTP ${res.status}): ${text.slice(0, 200)}` });
    }
    if (!res.ok) throw new KvHttpError(res.status, body as ErrorJson);
    return body as T;
  }

  get(key: string, o: ReadQuery = {}): Promise<GetJson> {
    return this.call('GET', `/kv/${encodeURIComponent(key)}${query(readParams(o))}`);
  }

  put(key: string, value: string | Uint8Array, o: { ttlMs?: number; ifModIndex?: number; ifAbsent?: boolean } = {}): Promise<PutJson> {
    const headers: Record<string, string> = {};
    if (o.ifModIndex !== undefined) headers['if-match'] = String(o.ifModIndex);
    if (o.ifAbsent === true) headers['if-none-match'] = '*';
    return this.call('PUT', `/kv/${encodeURIComponent(key)}${query({ ttl: o.ttlMs })}`, { body: value, headers });
  }

  delete(key: string, o: { ifModIndex?: number } = {}): Promise<DeleteJson> {
    return this.call('DELETE', `/kv/${encodeURIComponent(key)}`, { headers: o.ifModIndex !== undefined ? { 'if-match': String(o.ifModIndex) } : {} });
  }

  range(o: RangeQuery = {}): Promise<RangeJson> {
    return this.call('GET', `/kv${query({ prefix: o.prefix, start: o.start, end: o.end, limit: o.limit, reverse: o.reverse, ...readParams(o) })}`);
  }

  cas(req: CasRequestJson): Promise<CasJson> {
    return this.call('POST', '/cas', { body: JSON.stringify(req), headers: { 'content-type': 'application/json' } });
  }

  status(): Promise<StatusJson> {
    return this.call('GET', '/status');
  }
}
