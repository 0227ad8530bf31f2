// The JSON shapes of the kv-node HTTP API: written by http.ts, read by client.ts (kvctl, the
// cluster). Types only.
import type { RsmStatus } from '../../replication/rsm/index.ts';

/** One stored entry. `value` when the bytes are UTF-8 (and `?enc=base64` was not asked), else `valueBase64`. */
export interface EntryJson {
  readonly key: string;
  readonly value?: string;
  readonly valueBase64?: string;
  readonly createIndex: number;
  readonly modIndex: number;
  readonly version: number;
  readonly expiresAt?: number;
}

/** Every read answer says at which applied index it was served and whether it may be stale. */
export interface ReadMetaJson {
  readonly index: number;
  readonly stale: boolean;
}

export interface GetJson extends ReadMetaJson {
  readonly entry: EntryJson;
}

export interface RangeJson extends ReadMetaJson {
  readonly entries: readonly EntryJson[];
  /** More entries match beyond `limit`. */
  readonly more: boolean;
}

export interface PutJson {
  readonly ok: true;
  readonly index: number;
  readonly prev?: EntryJson;
}

export interface DeleteJson {
  readonly deleted: true;
  readonly index: number;
  readonly prev?: EntryJson;
}

export interface CasJson {
  readonly ok: true;
  readonly index: number;
  readonly current?: EntryJson;
}

/** What POST /cas takes: the new value (text or base64) and what the key must hold now. */
export interface CasRequestJson {
  readonly key: string;
  readonly value?: string;
  readonly valueBase64?: string;
  readonly expect: { readonly modIndex: number } | { readonly value: string } | { readonly valueBase64: string } | { readonly absent: true };
  readonly ttlMs?: number;
}

export interface StatusJson {
  readonly node: string;
  readonly group: string;
  readonly spread: string;
  readonly dataDir: string;
  /** In an activated primary component and caught up: writes and linearizable reads are served. */
  readonly primary: boolean;
  readonly mode: RsmStatus['mode'];
  readonly view: string | null;
  readonly members: readonly string[];
  readonly ballot: number;
  readonly appliedIndex: number;
  readonly digest: string;
  readonly catchingUp: boolean;
  readonly transfer?: RsmStatus['transfer'];
}

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'NO_ROUTE'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'CAS_FAILED'
  | 'NOT_PRIMARY'
  | 'NOT_APPLIED'
  | 'CLOSED'
  | 'TIMEOUT'
  | 'COMMAND_FAILED'
  | 'INTERNAL';

export interface ErrorJson {
  readonly error: ErrorCode;
  readonly message: string;
  readonly key?: string;
  /** CAS_FAILED: what the key holds now (absent when it does not exist). */
  readonly current?: EntryJson;
  /** NOT_PRIMARY: the view this node is in. */
  readonly view?: string | null;
  readonly members?: readonly string[];
  readonly index?: number;
  readonly stale?: boolean;
}
