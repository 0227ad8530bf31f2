// The `spread_name` argument (spec 1.2): "4803" is the Unix socket /tmp/4803, "4803@host" is TCP.
import { DEFAULT_SPREAD_PORT } from './wire/constants.ts';

export type SpreadAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** What callers may pass: a spread name string, or an explicit TCP or Unix-socket address. */
export type SpreadAddressInput =
  | string
  | null
  | undefined
  | { readonly host?: string; readonly port?: number }
  | { readonly path: string };

/** Directory of the daemon's Unix sockets (`SP_UNIX_SOCKET`). */
export const UNIX_SOCKET_DIR = '/tmp';

/** libspread refuses names of MAXHOSTNAMELEN (64) + 7 characters or more. */
export const MAX_SPREAD_NAME_LENGTH = 64 + 7 - 1;

export type ParsedAddress = { readonly ok: true; readonly address: SpreadAddress } | { readonly ok: false; readonly reason: string };

/** Parses a spread name as `SP_connect` does; never throws. */
export function parseSpreadName(name: string | null | undefined): ParsedAddress {
  const text = name === null || name === undefined || name === '' ? String(DEFAULT_SPREAD_PORT) : name;
  if (text.length > MAX_SPREAD_NAME_LENGTH) return { ok: false, reason: `spread name longer than ${MAX_SPREAD_NAME_LENGTH} characters` };
  const m = /^(\d+)(.*)$/s.exec(text);
  if (m === null) return { ok: false, reason: `${JSON.stringify(text)} does not start with a port number` };
  const port = Number(m[1]);
  if (port > 0xffff) return { ok: false, reason: `port ${m[1]} is not a 16-bit number` };
  const rest = m[2]!;
  if (rest === '') return { ok: true, address: { kind: 'unix', path: `${UNIX_SOCKET_DIR}/${port}` } };
  if (!rest.startsWith('@')) return { ok: false, reason: `${JSON.stringify(text)}: expected "@host" after the port` };
  const host = rest.slice(1);
  if (host === '') return { ok: false, reason: `${JSON.stringify(text)}: empty host name` };
  return { ok: true, address: { kind: 'tcp', host, port } };
}

/** Parses any accepted address form. `{ port }` alone means TCP to localhost; port 0 means 4803. */
export function resolveAddressInput(input: SpreadAddressInput): ParsedAddress {
  if (input === null || input === undefined || typeof input === 'string') return parseSpreadName(input);
  if ('path' in input) {
    if (typeof input.path !== 'string' || input.path === '') return { ok: false, reason: 'empty socket path' };
    return { ok: true, address: { kind: 'unix', path: input.path } };
  }
  const port = input.port === undefined || input.port === 0 ? DEFAULT_SPREAD_PORT : input.port;
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) return { ok: false, reason: `port ${String(input.port)} out of range` };
  const host = input.host ?? '127.0.0.1';
  if (host === '') return { ok: false, reason: 'empty host name' };
  return { ok: true, address: { kind: 'tcp', host, port } };
}

export function describeAddress(a: SpreadAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : `tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
