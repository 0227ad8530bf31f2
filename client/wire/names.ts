// Name slots and name rules (spec 3.4 and 6.4).
import { MAX_GROUP_NAME, MAX_PRIVATE_NAME, MAX_PROC_NAME } from './constants.ts';

/** Lowest and highest byte allowed in group, private and daemon names ('$' .. '~'). */
export const NAME_BYTE_MIN = 0x24;
export const NAME_BYTE_MAX = 0x7e;

// The names readName returned last, by a hash of their bytes. A flood names the same few senders
// and groups in every message, and comparing a slot with the name it held last time is several
// times cheaper than decoding a new string (which showed in the daemon's and client's profiles).
const NAME_SLOTS = 64;
const recentNames: Array<string | undefined> = new Array<string | undefined>(NAME_SLOTS).fill(undefined);

/** Reads a name slot: the bytes before the first NUL within `len` bytes (latin1). */
export function readName(buf: Buffer, offset: number, len = MAX_GROUP_NAME): string {
  let end = offset;
  let hash = 0;
  const stop = offset + len;
  for (; end < stop; end++) {
    const c = buf[end]!;
    if (c === 0) break;
    hash = (hash * 31 + c) | 0;
  }
  const n = end - offset;
  const slot = (hash ^ n) & (NAME_SLOTS - 1);
  const recent = recentNames[slot];
  if (recent !== undefined && recent.length === n) {
    let i = 0;
    while (i < n && recent.charCodeAt(i) === buf[offset + i]) i++;
    if (i === n) return recent;
  }
  const name = buf.toString('latin1', offset, end);
  recentNames[slot] = name;
  return name;
}

/** Writes `name` into a zero-padded slot of `len` bytes; the name must already fit with its NUL. */
export function writeName(buf: Buffer, offset: number, name: string, len = MAX_GROUP_NAME): void {
  const n = buf.write(name, offset, Math.min(name.length, len - 1), 'latin1');
  buf.fill(0, offset + n, offset + len);
}

function allBytesLegal(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < NAME_BYTE_MIN || c > NAME_BYTE_MAX) return false;
  }
  return true;
}

/** A group name for join/leave: 1..31 bytes, each in '$'..'~' (so no '#', space or control). */
export function isLegalGroupName(name: string): boolean {
  return name.length >= 1 && name.length < MAX_GROUP_NAME && allBytesLegal(name);
}

/** A private name chosen by a client: 0..10 bytes in '$'..'~' (empty: the daemon picks one). */
export function isLegalPrivateName(name: string): boolean {
  return name.length <= MAX_PRIVATE_NAME && allBytesLegal(name);
}

/** A daemon name: 1..19 bytes in '$'..'~'. */
export function isLegalDaemonName(name: string): boolean {
  return name.length >= 1 && name.length < MAX_PROC_NAME && allBytesLegal(name);
}

/** A destination name of a multicast: anything that fits a slot (1..31 bytes, no NUL). */
export function isLegalDestination(name: string): boolean {
  if (name.length < 1 || name.length >= MAX_GROUP_NAME) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0 || c > 0xff) return false;
  }
  return true;
}

/** `#private#daemon`, cut to 31 characters as the reference does. */
export function privateGroupName(privateName: string, daemonName: string): string {
  return `#${privateName}#${daemonName}`.slice(0, MAX_GROUP_NAME - 1);
}

/** Splits `#p#d` into its parts, or undefined when it does not parse (spec 4.6 rule 3). */
export function parsePrivateGroupName(name: string): { privateName: string; daemonName: string } | undefined {
  if (name.length < 4 || name.charCodeAt(0) !== 0x23) return undefined;
  const second = name.indexOf('#', 1);
  if (second < 2) return undefined;
  const privateName = name.slice(1, second);
  const daemonName = name.slice(second + 1);
  if (privateName.length > MAX_PRIVATE_NAME || daemonName.length < 1 || daemonName.length >= MAX_PROC_NAME)
    return undefined;
  if (!allBytesLegal(privateName) || !allBytesLegal(daemonName)) return undefined;
  return { privateName, daemonName };
}
