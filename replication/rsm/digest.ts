// State digest (design 2.8): an order-independent multiset hash, the sum modulo 2^256 of
// H(key || 0 || JSON(value)) over all entries, updated in O(1) per put or delete [core].
// The hash function is injected (the shell passes SHA-256 from node:crypto).
import type { Json } from './types.ts';

export type HashFn = (bytes: Uint8Array) => Uint8Array;

const MOD = 1n << 256n;
const encoder = new TextEncoder();

export const EMPTY_DIGEST = '0'.repeat(64);

export function entryHash(hash: HashFn, key: string, value: Json): bigint {
  const h = hash(encoder.encode(`${key}\u0000${JSON.stringify(value)}`));
  let x = 0n;
  for (const b of h) x = (x << 8n) | BigInt(b);
  return x;
}

export function parseDigest(d: string): bigint {
  return d.length === 0 ? 0n : BigInt(`0x${d}`);
}

export function formatDigest(x: bigint): string {
  return (((x % MOD) + MOD) % MOD).toString(16).padStart(64, '0');
}

/** Digest after replacing `before` with `after` at `key` (either may be undefined = absent). */
export function updateDigest(hash: HashFn, digest: bigint, key: string, before: Json | undefined, after: Json | undefined): bigint {
  let d = digest;
  if (before !== undefined) d -= entryHash(hash, key, before);
  if (after !== undefined) d += entryHash(hash, key, after);
  return ((d % MOD) + MOD) % MOD;
}

/** Digest of a whole set of entries. */
export function digestOf(hash: HashFn, entries: Iterable<readonly [string, Json]>): string {
  let d = 0n;
  for (const [k, v] of entries) d += entryHash(hash, k, v);
  return formatDigest(d);
}
