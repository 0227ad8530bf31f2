// The connection handshake (spec section 2). Every value is a byte or a byte string.
import {
  ACCEPT_SESSION,
  AUTH_CHOICE_BYTES,
  MAX_AUTH_METHODS,
  MAX_AUTH_NAME,
  MAX_PRIVATE_NAME,
  REJECT_ILLEGAL_NAME,
  REJECT_VERSION,
} from './constants.ts';
import { NAME_BYTE_MAX, NAME_BYTE_MIN } from './names.ts';

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export const versionNumber = (v: Version): number => v.major * 10000 + v.minor * 100 + v.patch;

/** Connect request flag bits (spec 2.2). */
export const CONNECT_FLAG_MEMBERSHIP = 0x01;
export const CONNECT_FLAG_PRIORITY = 0x10;

export function encodeConnectRequest(version: Version, membership: boolean, priority: boolean, name: string): Buffer {
  const n = Math.min(name.length, MAX_PRIVATE_NAME);
  const buf = Buffer.allocUnsafe(5 + n);
  buf[0] = version.major;
  buf[1] = version.minor;
  buf[2] = version.patch;
  buf[3] = (membership ? CONNECT_FLAG_MEMBERSHIP : 0) | (priority ? CONNECT_FLAG_PRIORITY : 0);
  buf[4] = n;
  buf.write(name.slice(0, n), 5, 'latin1');
  return buf;
}

export type ConnectRequestParse =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'reject'; readonly code: number; readonly reason: string }
  | {
      readonly kind: 'ok';
      readonly version: Version;
      readonly membership: boolean;
      readonly priority: number;
      readonly name: string;
      /** Bytes of `buf` the request used. */
      readonly consumed: number;
    };

const signed8 = (b: number): number => (b << 24) >> 24;

/**
 * Parses a connect request as the reference daemon does (spec 2.3 steps 3 to 9), but tolerates
 * it arriving in pieces: 'incomplete' means wait for more bytes. Uniqueness is the caller's check.
 */
export function parseConnectRequest(buf: Uint8Array): ConnectRequestParse {
  if (buf.length < 2) return { kind: 'incomplete' };
  const major = signed8(buf[0]!);
  const minor = signed8(buf[1]!);
  const hasPatch = major * 10000 + minor * 100 > 31400;
  const head = hasPatch ? 3 : 2;
  if (buf.length < head) return { kind: 'incomplete' };
  const patch = hasPatch ? signed8(buf[2]!) : 0;
  const version = { major, minor, patch };
  if (versionNumber(version) < 30100)
    return { kind: 'reject', code: REJECT_VERSION, reason: `library version ${major}.${minor}.${patch} < 3.1.0` };
  if (buf.length < head + 2) return { kind: 'incomplete' };
  const flags = signed8(buf[head]!);
  const n = signed8(buf[head + 1]!);
  if (n < 0 || n > MAX_PRIVATE_NAME)
    return { kind: 'reject', code: REJECT_ILLEGAL_NAME, reason: `private name length ${n}` };
  const start = head + 2;
  if (buf.length < start + n) return { kind: 'incomplete' };
  for (let i = start; i < start + n; i++) {
    const b = buf[i]!;
    if (b < NAME_BYTE_MIN || b > NAME_BYTE_MAX)
      return { kind: 'reject', code: REJECT_ILLEGAL_NAME, reason: `illegal byte 0x${b.toString(16)} in private name` };
  }
  const name = Buffer.from(buf.buffer, buf.byteOffset + start, n).toString('latin1');
  return {
    kind: 'ok',
    version,
    membership: flags > 0 && (flags & 1) === 1,
    priority: Math.trunc(flags / 16),
    name,
    consumed: start + n,
  };
}

/** The daemon's list of offered methods: a length byte, then each name followed by a space. */
export function encodeAuthList(methods: ReadonlyArray<string>): Buffer {
  const text = methods.map((m) => `${m} `).join('');
  const buf = Buffer.allocUnsafe(1 + text.length);
  buf[0] = text.length;
  buf.write(text, 1, 'latin1');
  return buf;
}

/** Splits an offered list ("NULL IP ") into method names. */
export function parseAuthList(list: Uint8Array): string[] {
  return Buffer.from(list.buffer, list.byteOffset, list.length)
    .toString('latin1')
    .split(' ')
    .filter((s) => s.length > 0);
}

/** The 90-byte choice block: up to three NUL-padded 30-byte slots. */
export function encodeAuthChoice(methods: ReadonlyArray<string>): Buffer {
  const buf = Buffer.alloc(AUTH_CHOICE_BYTES);
  methods.slice(0, MAX_AUTH_METHODS).forEach((m, i) => {
    buf.write(m.slice(0, MAX_AUTH_NAME - 1), i * MAX_AUTH_NAME, 'latin1');
  });
  return buf;
}

/** Method names chosen in a 90-byte block, walking slots until one starts with NUL. */
export function parseAuthChoice(block: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < MAX_AUTH_METHODS; i++) {
    const off = i * MAX_AUTH_NAME;
    if (block[off] === 0) break;
    let end = off;
    while (end < off + MAX_AUTH_NAME && block[end] !== 0) end++;
    out.push(Buffer.from(block.buffer, block.byteOffset + off, end - off).toString('latin1'));
  }
  return out;
}

/** The accept reply and private group name (spec 2.7); the patch byte only for libraries >= 3.15.0. */
export function encodeAcceptReply(daemonVersion: Version, privateGroup: string, includePatch: boolean): Buffer {
  const head = includePatch ? 5 : 4;
  const buf = Buffer.allocUnsafe(head + privateGroup.length);
  buf[0] = ACCEPT_SESSION;
  buf[1] = daemonVersion.major;
  buf[2] = daemonVersion.minor;
  let i = 3;
  if (includePatch) buf[i++] = daemonVersion.patch;
  buf[i] = privateGroup.length;
  buf.write(privateGroup, head, 'latin1');
  return buf;
}

/** A reject byte: the two's-complement code. */
export function encodeRejectByte(code: number): Buffer {
  return Buffer.from([code & 0xff]);
}
