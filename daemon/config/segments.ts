// The Spread_Segment grammar (design 2.2):
//   segment := "Spread_Segment" addr[:port] {addr} "{" {daemon} "}"
//   daemon  := (name [ip] | ip) ["VirtualID" "=" n] ["{" {[D][C][M] ip} "}"] [";"]
import { DEFAULT_SPREAD_PORT, MAX_PROC_NAME } from '../../client/wire/constants.ts';
import { isLegalDaemonName, NAME_BYTE_MAX, NAME_BYTE_MIN } from '../../client/wire/names.ts';
import {
  addressText,
  isMulticast,
  isUnspecified,
  looksLikeAddress,
  parseAddressWord,
  parseIpLiteral,
  type IpFamily,
  type IpLiteral,
} from './address.ts';
import { isKeyword, type Cursor } from './cursor.ts';
import { daemonIdFromName } from './ids.ts';
import { MAX_ADDRS_SEGMENT, MAX_INTERFACES_PROC, MAX_PROCS_RING, MAX_PROCS_SEGMENT } from './limits.ts';
import type { DaemonSpec, InterfaceSpec, SegmentSpec } from './model.ts';
import { startsOption } from './options.ts';
import { describeToken, type Token } from './tokens.ts';

type Role = 'D' | 'C' | 'M';
const ALL_ROLES: ReadonlySet<Role> = new Set<Role>(['D', 'C', 'M']);

/** What the segments read so far have claimed; shared across segments. */
export interface SegmentRegistry {
  family: IpFamily | undefined;
  /** Why `family` is what it is, for messages. */
  familyReason: string;
  readonly daemons: DaemonSpec[];
  readonly byName: Map<string, DaemonSpec>;
  readonly byId: Map<number, DaemonSpec>;
  readonly segments: SegmentSpec[];
}

export function newRegistry(activeIpVersion: IpFamily | undefined): SegmentRegistry {
  return {
    family: activeIpVersion,
    familyReason: 'ActiveIPVersion',
    daemons: [],
    byName: new Map(),
    byId: new Map(),
    segments: [],
  };
}

function checkFamily(cur: Cursor, reg: SegmentRegistry, ip: IpLiteral, at: Token): void {
  if (reg.family === undefined) {
    reg.family = ip.family;
    reg.familyReason = `the first address (line ${at.line})`;
  } else if (ip.family !== reg.family) {
    cur.fail(
      at,
      `${ip.family} address ${describeToken(at)} in an ${reg.family} configuration (set by ${reg.familyReason})`,
    );
  }
}

/** Reads a daemon or interface address: no port (the segment's applies), the configuration's family. */
function readAddress(cur: Cursor, reg: SegmentRegistry, at: Token, what: string): IpLiteral {
  const r = parseAddressWord(at.text);
  if (!r.ok) cur.fail(at, `bad ${what}: ${r.reason}`);
  if (r.port !== undefined) {
    cur.fail(at, `${what} ${describeToken(at)} takes no port; the segment's port applies to all its daemons`);
  }
  checkFamily(cur, reg, r.ip, at);
  return r.ip;
}

/** The segment's first address with its optional port, also written `addr : port` or `addr :port`. */
function readSegmentAddress(cur: Cursor, reg: SegmentRegistry): { ip: IpLiteral; port: number; at: Token } {
  const at = cur.peek();
  if (at.kind !== 'word') cur.expected("a segment address after 'Spread_Segment'", at);
  cur.next();
  let text = at.text;
  let r = parseAddressWord(text);
  const n = cur.peek();
  if (r.ok && r.port === undefined && n.kind === 'word' && n.text.startsWith(':')) {
    cur.next();
    text += n.text;
    if (n.text === ':') text += cur.expect('word', "a port number after ':'").text;
    r = parseAddressWord(text);
  } else if (!r.ok && text.endsWith(':') && n.kind === 'word' && /^\d+$/.test(n.text)) {
    cur.next();
    text += n.text;
    r = parseAddressWord(text);
  }
  if (!r.ok) cur.fail(at, `bad segment address: ${r.reason}`);
  const port = r.port ?? DEFAULT_SPREAD_PORT;
  if (port < 1 || port > 65534) {
    cur.fail(at, `bad port ${port} in ${JSON.stringify(text)}: expected 1..65534 (the daemon also uses port + 1)`);
  }
  checkFamily(cur, reg, r.ip, at);
  if (isUnspecified(r.ip)) cur.fail(at, `a segment address must not be the unspecified address ${r.ip.canonical}`);
  return { ip: r.ip, port, at };
}

function explainIllegalName(name: string): string {
  if (name.length === 0) return 'a daemon name must not be empty';
  if (name.length >= MAX_PROC_NAME) {
    return `daemon name '${name}' is ${name.length} characters long; at most ${MAX_PROC_NAME - 1} are allowed`;
  }
  for (const ch of name) {
    const c = ch.charCodeAt(0);
    if (c < NAME_BYTE_MIN || c > NAME_BYTE_MAX) {
      return `daemon name '${name}' contains ${JSON.stringify(ch)}; names use the characters '$' to '~' only`;
    }
  }
  return `illegal daemon name '${name}'`;
}

/** `{ [D][C][M] ip ... }` after a daemon; the opening brace is the current token. */
function readInterfaces(cur: Cursor, reg: SegmentRegistry, own: IpLiteral): InterfaceSpec[] {
  const open = cur.next();
  const interfaces: InterfaceSpec[] = [];
  let roles = new Set<Role>();
  let rolesAt: Token | undefined;
  const wanted = (): string =>
    rolesAt !== undefined ? `an interface address after '${rolesAt.text}'` : "'}', D, C, M or an interface address";
  for (;;) {
    const t = cur.peek();
    if (t.kind === 'eof') {
      cur.fail(t, `expected '}' to close the interface list opened at line ${open.line}, found end of file`);
    }
    if (t.kind === '}') {
      if (rolesAt !== undefined) cur.expected(wanted(), t);
      if (interfaces.length === 0) cur.expected('D, C, M or an interface address in the interface list', t);
      cur.next();
      break;
    }
    if (t.kind !== 'word') cur.expected(wanted(), t);
    cur.next();
    if (/^[DCM]+$/i.test(t.text) && !looksLikeAddress(t.text)) {
      for (const ch of t.text.toUpperCase()) roles.add(ch as Role);
      rolesAt = t;
      continue;
    }
    if (!looksLikeAddress(t.text)) cur.expected(wanted(), t);
    if (interfaces.length >= MAX_INTERFACES_PROC) {
      cur.fail(t, `too many interfaces: at most ${MAX_INTERFACES_PROC} per daemon`);
    }
    const ip = readAddress(cur, reg, t, 'interface address');
    // Untagged serves all three kinds of traffic.
    interfaces.push(Object.freeze({ address: addressText(ip), roles: roles.size === 0 ? ALL_ROLES : roles }));
    roles = new Set<Role>();
    rolesAt = undefined;
  }
  // The daemon must take daemon traffic on its own address (or on all addresses).
  const servesDaemon = interfaces.some((i) => {
    const ip = parseIpLiteral(i.address);
    return i.roles.has('D') && ip !== undefined && (ip.canonical === own.canonical || isUnspecified(ip));
  });
  if (!servesDaemon) {
    cur.fail(
      open,
      `the interface list must include a D (or untagged) entry for the daemon's own address ${own.canonical}`,
    );
  }
  return interfaces;
}

interface SegmentBuild {
  readonly index: number;
  readonly port: number;
  readonly daemons: DaemonSpec[];
}

/** `name ip`, `ip` (named by its text) or `name` alone (only localhost is resolved, without DNS). */
function readNameAndAddress(
  cur: Cursor,
  reg: SegmentRegistry,
  first: Token,
): { name: string; ip: IpLiteral; at: Token } {
  if (first.kind === 'word' && looksLikeAddress(first.text)) {
    const ip = readAddress(cur, reg, first, 'daemon address');
    // Named by its address as written, without brackets or interface.
    return { name: first.text.replace(/^\[|\]$/g, '').split('%')[0] as string, ip, at: first };
  }
  const n = cur.peek();
  if (n.kind === 'word' && looksLikeAddress(n.text)) {
    cur.next();
    return { name: first.text, ip: readAddress(cur, reg, n, 'daemon address'), at: n };
  }
  if (first.text.toLowerCase() === 'localhost') {
    const ip = parseIpLiteral(reg.family === 'IPv6' ? '::1' : '127.0.0.1') as IpLiteral;
    checkFamily(cur, reg, ip, first);
    return { name: first.text, ip, at: first };
  }
  if (n.kind === '=' || n.kind === '!' || n.kind === 'eof') {
    cur.expected(`an IP address after daemon name ${describeToken(first)}`, n);
  }
  return cur.fail(
    first,
    `daemon ${describeToken(first)} has no address: expected an IP address after the name ` +
      '(host names other than localhost are not looked up)',
  );
}

/** Daemons of one segment need distinct addresses; on one address, ports P, P+1 must not overlap. */
function checkAddressFree(cur: Cursor, reg: SegmentRegistry, ip: IpLiteral, port: number, at: Token): void {
  if (isUnspecified(ip)) cur.fail(at, `a daemon's address must not be the unspecified address ${ip.canonical}`);
  if (isMulticast(ip)) cur.fail(at, `a daemon's address must not be a multicast address (${ip.canonical})`);
  for (const other of reg.daemons) {
    if (parseIpLiteral(other.address)?.canonical !== ip.canonical || Math.abs(other.port - port) > 1) continue;
    if (other.port === port) {
      cur.fail(
        at,
        `address ${ip.canonical} port ${port} is already used by daemon '${other.name}' (line ${other.line})`,
      );
    }
    cur.fail(
      at,
      `ports ${other.port} and ${port} on address ${ip.canonical} collide (daemon '${other.name}', ` +
        `line ${other.line}): each daemon uses its port and port + 1`,
    );
  }
}

/** Optional `VirtualID = n`. */
function readVirtualId(cur: Cursor): number | undefined {
  if (!isKeyword(cur.peek(), 'VirtualID')) return undefined;
  cur.next();
  cur.expect('=', "'=' after 'VirtualID'");
  const t = cur.expect('word', "a number after 'VirtualID ='");
  if (!/^\d+$/.test(t.text)) cur.expected("a whole number after 'VirtualID ='", t);
  const id = Number(t.text);
  if (id < 1 || id > 0xfffffffe) cur.fail(t, `VirtualID must be between 1 and ${0xfffffffe}, found ${t.text}`);
  return id;
}

function readDaemon(cur: Cursor, reg: SegmentRegistry, seg: SegmentBuild): DaemonSpec {
  const first = cur.next();
  if (reg.daemons.length >= MAX_PROCS_RING) {
    cur.fail(first, `too many daemons: at most ${MAX_PROCS_RING} in a configuration`);
  }
  if (seg.daemons.length >= MAX_PROCS_SEGMENT) {
    cur.fail(first, `too many daemons: at most ${MAX_PROCS_SEGMENT} in a segment`);
  }
  const { name, ip, at } = readNameAndAddress(cur, reg, first);
  if (!isLegalDaemonName(name)) cur.fail(first, explainIllegalName(name));
  const sameName = reg.byName.get(name);
  if (sameName !== undefined) cur.fail(first, `duplicate daemon name '${name}' (first at line ${sameName.line})`);
  checkAddressFree(cur, reg, ip, seg.port, at);
  const id = readVirtualId(cur) ?? daemonIdFromName(name);
  const sameId = reg.byId.get(id);
  if (sameId !== undefined) {
    cur.fail(
      first,
      `daemon '${name}' has id ${id}, already the id of '${sameId.name}' (line ${sameId.line}); ` +
        'give one of them another VirtualID',
    );
  }
  const interfaces = cur.peek().kind === '{' ? readInterfaces(cur, reg, ip) : [];
  if (cur.peek().kind === ';') cur.next();
  const daemon: DaemonSpec = Object.freeze({
    name,
    address: addressText(ip),
    port: seg.port,
    id,
    segmentIndex: seg.index,
    indexInSegment: seg.daemons.length,
    order: reg.daemons.length,
    interfaces: Object.freeze(interfaces),
    line: first.line,
  });
  reg.daemons.push(daemon);
  reg.byName.set(name, daemon);
  reg.byId.set(id, daemon);
  seg.daemons.push(daemon);
  return daemon;
}

/** Reads one segment; the 'Spread_Segment' word is the current token. */
export function readSegment(cur: Cursor, reg: SegmentRegistry): SegmentSpec {
  const kw = cur.next();
  const first = readSegmentAddress(cur, reg);
  const addresses: string[] = [addressText(first.ip)];
  for (;;) {
    const t = cur.peek();
    if (t.kind !== 'word') break;
    if (!looksLikeAddress(t.text)) cur.expected("'{' or another segment address", t);
    cur.next();
    const r = parseAddressWord(t.text);
    if (!r.ok) cur.fail(t, `bad segment address: ${r.reason}`);
    if (r.port !== undefined) cur.fail(t, 'only the first segment address may carry the port');
    if (addresses.length >= MAX_ADDRS_SEGMENT) cur.fail(t, `too many segment addresses: at most ${MAX_ADDRS_SEGMENT}`);
    checkFamily(cur, reg, r.ip, t);
    if (isUnspecified(r.ip)) cur.fail(t, `a segment address must not be the unspecified address ${r.ip.canonical}`);
    addresses.push(addressText(r.ip));
  }
  cur.expect('{', "'{' or another segment address");
  const seg: SegmentBuild = { index: reg.segments.length, port: first.port, daemons: [] };
  for (;;) {
    const t = cur.peek();
    if (t.kind === '}') {
      cur.next();
      break;
    }
    if (t.kind === ';') {
      cur.next();
      continue;
    }
    if (t.kind === 'eof') {
      cur.fail(t, `expected '}' to close the Spread_Segment opened at line ${kw.line}, found end of file`);
    }
    if (isKeyword(t, 'Spread_Segment') || startsOption(cur, t)) {
      cur.fail(
        t,
        `expected '}' to close the Spread_Segment opened at line ${kw.line} before ${describeToken(t)} ` +
          `(options and segments go outside a segment)`,
      );
    }
    if (t.kind !== 'word' && t.kind !== 'string') cur.expected("'}' or a daemon name", t);
    readDaemon(cur, reg, seg);
  }
  const segment: SegmentSpec = Object.freeze({
    addresses: Object.freeze(addresses),
    port: first.port,
    daemons: Object.freeze(seg.daemons),
  });
  reg.segments.push(segment);
  return segment;
}
