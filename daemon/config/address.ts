// IP address literals of spread.conf: IPv4 dotted quads and IPv6 text forms, with their canonical
// text (the form used for comparisons and in the configuration hash). No DNS, no sockets.

export type IpFamily = 'IPv4' | 'IPv6';

export interface IpLiteral {
  readonly family: IpFamily;
  /** Canonical text: IPv4 without leading zeros; IPv6 lower case, RFC 5952 compressed. No scope. */
  readonly canonical: string;
  /** The `%ifname` of an IPv6 address, when written. */
  readonly scope: string | undefined;
  /** 4 or 16 bytes. */
  readonly bytes: ReadonlyArray<number>;
}

/** Canonical text plus `%scope` when there is one: the address as a daemon binds and compares it. */
export function addressText(ip: IpLiteral): string {
  return ip.scope === undefined ? ip.canonical : `${ip.canonical}%${ip.scope}`;
}

/** Parses `a.b.c.d` (each 0..255, no leading zeros, as inet_pton), or undefined. */
export function parseIpv4(text: string): IpLiteral | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const bytes: number[] = [];
  for (let i = 1; i <= 4; i++) {
    const part = m[i] as string;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  return { family: 'IPv4', canonical: bytes.join('.'), scope: undefined, bytes };
}

function parseGroups(text: string, allowTrailingIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (allowTrailingIpv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      const [a, b, c, d] = v4.bytes as [number, number, number, number];
      groups.push((a << 8) | b, (c << 8) | d);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

function canonicalIpv6(groups: ReadonlyArray<number>): string {
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const g6 = groups[6] as number;
    const g7 = groups[7] as number;
    return `::ffff:${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  // The longest run of two or more zero groups is written '::' (the first one on a tie).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses an IPv6 address, optionally followed by `%ifname`, or undefined. */
export function parseIpv6(text: string): IpLiteral | undefined {
  let body = text;
  let scope: string | undefined;
  const pct = text.indexOf('%');
  if (pct >= 0) {
    scope = text.slice(pct + 1);
    body = text.slice(0, pct);
    if (scope === '' || /[%\s[\]]/.test(scope)) return undefined;
  }
  if (!body.includes(':')) return undefined;
  let groups: number[];
  const gap = body.indexOf('::');
  if (gap >= 0) {
    if (body.indexOf('::', gap + 1) >= 0) return undefined;
    const head = parseGroups(body.slice(0, gap), false);
    const tail = parseGroups(body.slice(gap + 2), true);
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(body, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return { family: 'IPv6', canonical: canonicalIpv6(groups), scope, bytes };
}

/** An IPv4 or IPv6 literal without port or brackets, or undefined. */
export function parseIpLiteral(text: string): IpLiteral | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

/** True when `text` is meant as an address (digits and dots, or several colons, or brackets), valid or not. */
export function looksLikeAddress(text: string): boolean {
  if (text.startsWith('[')) return true;
  if (/^[0-9.]+(:[0-9]*)?$/.test(text) && text.includes('.')) return true;
  const colons = text.split(':').length - 1;
  return colons >= 2 && /^[0-9a-fA-F:.]+(%.*)?$/.test(text);
}

export type AddressWord =
  | { readonly ok: true; readonly ip: IpLiteral; readonly port: number | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * Parses an address as written in spread.conf: `a.b.c.d`, `a.b.c.d:port`, an IPv6 literal
 * (with optional `%ifname`), `[ipv6]` or `[ipv6]:port`. The port is checked by the caller.
 */
export function parseAddressWord(word: string): AddressWord {
  let host = word;
  let portText: string | undefined;
  if (word.startsWith('[')) {
    const close = word.indexOf(']');
    if (close < 0) return { ok: false, reason: `'${word}' has no closing ']'` };
    host = word.slice(1, close);
    const rest = word.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { ok: false, reason: `unexpected '${rest}' after ']' in '${word}'` };
      portText = rest.slice(1);
    }
    const ip = parseIpv6(host);
    if (ip === undefined) return { ok: false, reason: `'${host}' is not an IPv6 address` };
    return withPort(ip, portText, word);
  }
  const v6 = parseIpv6(word);
  if (v6 !== undefined) return { ok: true, ip: v6, port: undefined };
  const colon = word.indexOf(':');
  if (colon >= 0 && word.indexOf(':', colon + 1) < 0) {
    host = word.slice(0, colon);
    portText = word.slice(colon + 1);
  }
  const v4 = parseIpv4(host);
  if (v4 === undefined) {
    const what = word.split(':').length > 2 ? 'an IPv6 address' : 'an IPv4 address';
    return { ok: false, reason: `'${host}' is not ${what}` };
  }
  return withPort(v4, portText, word);
}

function withPort(ip: IpLiteral, portText: string | undefined, word: string): AddressWord {
  if (portText === undefined) return { ok: true, ip, port: undefined };
  if (!/^\d{1,5}$/.test(portText)) return { ok: false, reason: `bad port '${portText}' in '${word}'` };
  return { ok: true, ip, port: Number(portText) };
}

export function isUnspecified(ip: IpLiteral): boolean {
  return ip.bytes.every((b) => b === 0);
}

export function isMulticast(ip: IpLiteral): boolean {
  const first = ip.bytes[0] as number;
  return ip.family === 'IPv4' ? first >= 224 && first <= 239 : first === 0xff;
}

export function isLoopback(ip: IpLiteral): boolean {
  if (ip.family === 'IPv4') return ip.bytes[0] === 127;
  return ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1;
}
