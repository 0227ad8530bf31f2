// How the kv-node tools print things, in one place: a node's status on one line (kvctl status,
// kvctl wait, the cluster, the node's own log) and an entry as "key = value".
import type { EntryJson, StatusJson } from './api.ts';

/** The first 12 hex digits: enough to compare replicas by eye. */
export const shortDigest = (d: string): string => d.slice(0, 12);

/** e.g. "n1: primary  view n1,n2,n3  applied 17  digest 3fa9c2d1e0b4" */
export function statusLine(s: StatusJson): string {
  const mode = s.primary ? 'primary' : s.catchingUp ? `${s.mode}, catching up` : s.mode;
  const transfer = s.transfer !== undefined ? `  transfer ${s.transfer.role === 'donor' ? 'to' : 'from'} ${s.transfer.peer}${s.transfer.bytes > 0 ? ` (${s.transfer.bytes} bytes so far)` : ''}` : '';
  return `${s.node}: ${mode}  view ${s.members.join(',') || '-'}  applied ${s.appliedIndex}  digest ${shortDigest(s.digest)}${transfer}`;
}

export function valueText(e: EntryJson): string {
  return e.value ?? `base64:${e.valueBase64 ?? ''}`;
}

export function entryLine(e: EntryJson): string {
  return `${e.key} = ${valueText(e)}`;
}

/** e.g. "greeting = hello  (mod index 5, version 1)" */
export function entryDetail(e: EntryJson): string {
  const ttl = e.expiresAt !== undefined ? `, expires ${new Date(e.expiresAt).toISOString()}` : '';
  return `${entryLine(e)}  (mod index ${e.modIndex}, version ${e.version}${ttl})`;
}
