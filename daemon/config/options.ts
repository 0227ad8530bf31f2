// The options of spread.conf (design 2.3): names, value syntax, defaults and checks.
import { DEFAULT_MAX_SESSION_MESSAGES } from '../../client/wire/constants.ts';
import { MAX_DATAGRAM_BYTES, MAX_UDP_PAYLOAD_BYTES } from '../wire/constants.ts';
import type { IpFamily } from './address.ts';
import type { Cursor } from './cursor.ts';
import {
  DEFAULT_ACCELERATED_WINDOW,
  DEFAULT_PERSONAL_WINDOW,
  DEFAULT_TIMESTAMP_FORMAT,
  DEFAULT_WINDOW,
  MAX_CONFIG_NUMBER,
} from './limits.ts';
import { DEBUG_CATEGORIES, type DebugCategory, type EventPriority, type MembershipTimeouts } from './model.ts';
import { TIMEOUT_OPTIONS, type TimeoutSetName } from './timeouts.ts';
import { describeToken, type Token } from './tokens.ts';

/** Every option name, spelled as the guide spells it; matched case-insensitively. */
export const OPTION_NAMES = [
  'DebugFlags',
  'EventPriority',
  'EventLogFile',
  'EventTimeStamp',
  'EventPreciseTimeStamp',
  'DangerousMonitor',
  'SocketPortReuse',
  'RuntimeDir',
  'DaemonUser',
  'DaemonGroup',
  'RequiredAuthMethods',
  'AllowedAuthMethods',
  'AccessControlPolicy',
  // Extensions (issue 9): the IP allow-list, the TLS client listener, the daemon datagram key.
  'AccessIpFile',
  'TlsPort',
  'TlsCertificate',
  'TlsKey',
  'TlsCA',
  'TlsRequireClientCertificate',
  'DaemonKey',
  'DaemonKeyFile',
  'MaxSessionMessages',
  'ActiveIPVersion',
  'Window',
  'PersonalWindow',
  'AcceleratedRing',
  'AcceleratedWindow',
  ...TIMEOUT_OPTIONS.map(([name]) => name),
  'WideAreaNetwork',
  'ExcludeSegAddrsFromHash',
  'IgnoreMulticastJoinErrors',
  // Extension (design 5.9): which default timeout set applies when no timeout is configured.
  'TimeoutDefaults',
  // Extension: the largest ring datagram (auto: 16 KB when every daemon is on loopback, else 1472).
  'PacketSize',
  // Extension: false turns off the event priorities of guide 5.1 (client events wait during membership).
  'EventPriorities',
] as const;
export type OptionName = (typeof OPTION_NAMES)[number];

/** Options parsed and kept in the config but not acted upon yet: each one given adds a warning. */
export const OPTIONS_NOT_YET_IMPLEMENTED: ReadonlySet<OptionName> = new Set<OptionName>([]);

const BY_LOWER_NAME = new Map<string, OptionName>(OPTION_NAMES.map((n) => [n.toLowerCase(), n]));

/** The canonical spelling of an option name, or undefined when it is not an option. */
export function optionName(word: string): OptionName | undefined {
  return BY_LOWER_NAME.get(word.toLowerCase());
}

export const DEBUG_FLAG_WORDS: ReadonlyArray<string> = [...DEBUG_CATEGORIES, 'ALL', 'NONE'];
export const AUTH_METHODS: ReadonlyArray<string> = ['NULL', 'IP'];
export const ACCESS_CONTROL_POLICIES: ReadonlyArray<string> = ['PERMIT', 'IP'];

const PRIORITIES: ReadonlyMap<string, EventPriority> = new Map<string, EventPriority>([
  ['pdebug', 'pDEBUG'],
  ['debug', 'pDEBUG'],
  ['info', 'INFO'],
  ['warning', 'WARNING'],
  ['error', 'ERROR'],
  ['critical', 'CRITICAL'],
  ['fatal', 'FATAL'],
]);

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['yes', true],
  ['on', true],
  ['1', true],
  ['false', false],
  ['no', false],
  ['off', false],
  ['0', false],
]);

/** Option values as the file sets them; undefined where the default depends on the whole file. */
export interface OptionValues {
  debugFlags: Set<DebugCategory>;
  eventPriority: EventPriority;
  eventLogFile: string | undefined;
  eventTimeStamp: string | undefined;
  eventPreciseTimeStamp: boolean;
  dangerousMonitor: boolean;
  socketPortReuse: 'AUTO' | 'ON' | 'OFF';
  runtimeDir: string;
  daemonUser: string;
  daemonGroup: string;
  requiredAuthMethods: string[];
  allowedAuthMethods: string[];
  accessControlPolicy: string;
  accessIpFile: string | undefined;
  tlsPort: number | undefined;
  tlsCertificate: string | undefined;
  tlsKey: string | undefined;
  tlsCA: string | undefined;
  tlsRequireClientCertificate: boolean;
  daemonKey: string | undefined;
  daemonKeyFile: string | undefined;
  maxSessionMessages: number;
  activeIpVersion: IpFamily | undefined;
  window: number;
  personalWindow: number;
  acceleratedRing: boolean | undefined;
  acceleratedWindow: number;
  wideAreaNetwork: boolean | undefined;
  timeouts: Partial<Record<keyof MembershipTimeouts, number>>;
  timeoutDefaults: TimeoutSetName;
  packetSize: number | 'auto';
  eventPriorities: boolean;
  excludeSegAddrsFromHash: boolean;
  ignoreMulticastJoinErrors: boolean;
  /** Where each option was last given, for messages. */
  readonly given: Map<OptionName, Token>;
  readonly warnings: string[];
}

export function defaultOptionValues(): OptionValues {
  return {
    debugFlags: new Set<DebugCategory>(['PRINT', 'EXIT']),
    eventPriority: 'INFO',
    eventLogFile: undefined,
    eventTimeStamp: undefined,
    eventPreciseTimeStamp: false,
    dangerousMonitor: false,
    socketPortReuse: 'AUTO',
    runtimeDir: '/var/run/spread',
    daemonUser: 'spread',
    daemonGroup: 'spread',
    requiredAuthMethods: [],
    allowedAuthMethods: ['NULL'],
    accessControlPolicy: 'PERMIT',
    accessIpFile: undefined,
    tlsPort: undefined,
    tlsCertificate: undefined,
    tlsKey: undefined,
    tlsCA: undefined,
    tlsRequireClientCertificate: false,
    daemonKey: undefined,
    daemonKeyFile: undefined,
    maxSessionMessages: DEFAULT_MAX_SESSION_MESSAGES,
    activeIpVersion: undefined,
    window: DEFAULT_WINDOW,
    personalWindow: DEFAULT_PERSONAL_WINDOW,
    acceleratedRing: undefined,
    acceleratedWindow: DEFAULT_ACCELERATED_WINDOW,
    wideAreaNetwork: undefined,
    timeouts: {},
    timeoutDefaults: 'guide',
    packetSize: 'auto',
    eventPriorities: true,
    excludeSegAddrsFromHash: false,
    ignoreMulticastJoinErrors: false,
    given: new Map(),
    warnings: [],
  };
}

export interface OptionContext {
  readonly hostName: string | undefined;
  /** Line of the first Spread_Segment, when one was already read. */
  readonly firstSegmentLine: number | undefined;
}

// ---- value readers -------------------------------------------------------------------------

/**
 * `= value` where value is a word or a quoted string. A keyword on a later line is taken as a
 * missing value (`EventLogFile =` followed by the next option), not as the value.
 */
function readValue(cur: Cursor, opt: Token, what: string): Token {
  const eq = cur.expect('=', `'=' after '${opt.text}'`);
  const t = cur.peek();
  const isKeywordBelow =
    t.kind === 'word' &&
    t.line !== eq.line &&
    (optionName(t.text) !== undefined || t.text.toLowerCase() === 'spread_segment');
  if ((t.kind !== 'word' && t.kind !== 'string') || isKeywordBelow) cur.expected(`${what} after '${opt.text} ='`, t);
  return cur.next();
}

function readBool(cur: Cursor, opt: Token): boolean {
  const t = readValue(cur, opt, 'true or false');
  const b = BOOLEANS.get(t.text.toLowerCase());
  if (b === undefined) cur.expected(`true, false, yes, no, on, off, 1 or 0 after '${opt.text} ='`, t);
  return b;
}

function readInt(cur: Cursor, opt: Token, min: number, max = MAX_CONFIG_NUMBER): number {
  return intValue(cur, opt, readValue(cur, opt, 'a number'), min, max);
}

function intValue(cur: Cursor, opt: Token, t: Token, min: number, max: number): number {
  if (!/^\d+$/.test(t.text)) cur.expected(`a whole number after '${opt.text} ='`, t);
  const n = Number(t.text);
  if (n < min || n > max) cur.fail(t, `${opt.text} must be between ${min} and ${max}, found ${t.text}`);
  return n;
}

/** `auto` or a datagram size in bytes, from Spread's 1472 up to the largest UDP/IPv4 payload. */
function readPacketSize(cur: Cursor, opt: Token): number | 'auto' {
  const t = readValue(cur, opt, 'auto or a number');
  if (t.text.toLowerCase() === 'auto') return 'auto';
  return intValue(cur, opt, t, MAX_DATAGRAM_BYTES, MAX_UDP_PAYLOAD_BYTES);
}

function readNonEmpty(cur: Cursor, opt: Token, what: string, maxLength = 4096): string {
  const t = readValue(cur, opt, what);
  if (t.text === '') cur.expected(`${what} after '${opt.text} ='`, t);
  if (t.text.length > maxLength) cur.fail(t, `${opt.text} is longer than ${maxLength} characters`);
  return t.text;
}

function readChoice<T extends string>(cur: Cursor, opt: Token, choices: ReadonlyArray<T>): T {
  const t = readValue(cur, opt, choices.join(', '));
  const found = choices.find((c) => c.toLowerCase() === t.text.toLowerCase());
  if (found === undefined) cur.expected(`one of ${choices.join(', ')} after '${opt.text} ='`, t);
  return found;
}

function readAuthMethods(cur: Cursor, opt: Token): string[] {
  const t = readValue(cur, opt, 'a quoted list of authentication methods');
  const methods = t.text.split(/\s+/).filter((m) => m !== '');
  if (methods.length === 0) cur.expected(`a list of authentication methods (${AUTH_METHODS.join(', ')})`, t);
  return methods.map((m) => {
    const known = AUTH_METHODS.find((k) => k === m.toUpperCase());
    if (known === undefined) cur.fail(t, `unknown authentication method '${m}'; expected ${AUTH_METHODS.join(' or ')}`);
    return known;
  });
}

/** `[=] { FLAG !FLAG ... }` evaluated left to right from nothing; PRINT and EXIT forced on. */
function readDebugFlags(cur: Cursor, opt: Token, warnings: string[]): Set<DebugCategory> {
  if (cur.peek().kind === '=') cur.next();
  const open = cur.expect('{', `'{' after '${opt.text}'`);
  const flags = new Set<DebugCategory>();
  let removedForced = false;
  for (;;) {
    let t = cur.next();
    if (t.kind === '}') break;
    if (t.kind === 'eof') {
      cur.fail(t, `expected '}' to close the DebugFlags list opened at line ${open.line}, found end of file`);
    }
    const negate = t.kind === '!';
    if (negate) t = cur.next();
    if (t.kind !== 'word') cur.expected(negate ? "a debug flag after '!'" : "a debug flag or '}'", t);
    const word = t.text.toUpperCase();
    if (!DEBUG_FLAG_WORDS.includes(word)) {
      cur.fail(t, `unknown debug flag ${describeToken(t)}; expected one of ${DEBUG_FLAG_WORDS.join(' ')}`);
    }
    // ALL stands for every category and NONE for none, so `NONE` adds nothing and `!ALL` clears.
    const named: ReadonlyArray<DebugCategory> =
      word === 'ALL' ? DEBUG_CATEGORIES : word === 'NONE' ? [] : [word as DebugCategory];
    for (const c of named) {
      if (negate) flags.delete(c);
      else flags.add(c);
    }
    if (negate && (word === 'PRINT' || word === 'EXIT')) removedForced = true;
  }
  if (removedForced) warnings.push(`${cur.where(open)}PRINT and EXIT stay on whatever DebugFlags says`);
  flags.add('PRINT');
  flags.add('EXIT');
  return flags;
}

function expandHostName(path: string, hostName: string | undefined): string {
  return hostName === undefined ? path : path.replace(/%[hH]/g, () => hostName);
}

// ---- the options -------------------------------------------------------------------------

/** Parses one option whose name token was just consumed; updates `v`. */
export function parseOption(cur: Cursor, opt: Token, name: OptionName, v: OptionValues, ctx: OptionContext): void {
  const before = v.given.get(name);
  if (before !== undefined) {
    v.warnings.push(`${cur.where(opt)}${name} given again (earlier at line ${before.line}); the later value wins`);
  }
  v.given.set(name, opt);
  if (OPTIONS_NOT_YET_IMPLEMENTED.has(name)) {
    v.warnings.push(`${cur.where(opt)}${name} is accepted but not acted upon yet`);
  }
  const timeout = TIMEOUT_OPTIONS.find(([n]) => n === name);
  if (timeout !== undefined) {
    v.timeouts[timeout[1]] = readInt(cur, opt, 1);
    return;
  }
  switch (name) {
    case 'DebugFlags':
      v.debugFlags = readDebugFlags(cur, opt, v.warnings);
      return;
    case 'EventPriority': {
      const t = readValue(cur, opt, 'a priority');
      const p = PRIORITIES.get(t.text.toLowerCase());
      if (p === undefined) {
        cur.expected(`one of pDEBUG, INFO, WARNING, ERROR, CRITICAL, FATAL after '${opt.text} ='`, t);
      }
      v.eventPriority = p;
      return;
    }
    case 'EventLogFile':
      v.eventLogFile = expandHostName(readNonEmpty(cur, opt, 'a file name'), ctx.hostName);
      return;
    case 'EventTimeStamp':
      // Bare: Spread's default format.
      v.eventTimeStamp =
        cur.peek().kind === '=' ? readNonEmpty(cur, opt, 'a quoted time format') : DEFAULT_TIMESTAMP_FORMAT;
      return;
    case 'EventPreciseTimeStamp':
      v.eventPreciseTimeStamp = cur.peek().kind === '=' ? readBool(cur, opt) : true;
      return;
    case 'DangerousMonitor':
      v.dangerousMonitor = readBool(cur, opt);
      return;
    case 'SocketPortReuse':
      v.socketPortReuse = readChoice(cur, opt, ['AUTO', 'ON', 'OFF'] as const);
      return;
    case 'RuntimeDir':
      v.runtimeDir = readNonEmpty(cur, opt, 'a directory');
      return;
    case 'DaemonUser':
      v.daemonUser = readNonEmpty(cur, opt, 'a user name', 32);
      return;
    case 'DaemonGroup':
      v.daemonGroup = readNonEmpty(cur, opt, 'a group name', 32);
      return;
    case 'RequiredAuthMethods':
      v.requiredAuthMethods = readAuthMethods(cur, opt);
      return;
    case 'AllowedAuthMethods':
      v.allowedAuthMethods = readAuthMethods(cur, opt);
      return;
    case 'AccessControlPolicy':
      v.accessControlPolicy = readChoice(cur, opt, ACCESS_CONTROL_POLICIES);
      return;
    case 'AccessIpFile':
      v.accessIpFile = readNonEmpty(cur, opt, 'a file name');
      return;
    case 'TlsPort':
      v.tlsPort = readInt(cur, opt, 1, 65535);
      return;
    case 'TlsCertificate':
      v.tlsCertificate = readNonEmpty(cur, opt, 'a PEM file name');
      return;
    case 'TlsKey':
      v.tlsKey = readNonEmpty(cur, opt, 'a PEM file name');
      return;
    case 'TlsCA':
      v.tlsCA = readNonEmpty(cur, opt, 'a PEM file name');
      return;
    case 'TlsRequireClientCertificate':
      v.tlsRequireClientCertificate = readBool(cur, opt);
      return;
    case 'DaemonKey':
      v.daemonKey = readNonEmpty(cur, opt, 'a quoted key');
      return;
    case 'DaemonKeyFile':
      v.daemonKeyFile = readNonEmpty(cur, opt, 'a file name');
      return;
    case 'MaxSessionMessages':
      v.maxSessionMessages = readInt(cur, opt, 1);
      return;
    case 'ActiveIPVersion':
      if (ctx.firstSegmentLine !== undefined) {
        cur.fail(opt, `ActiveIPVersion must come before the first Spread_Segment (line ${ctx.firstSegmentLine})`);
      }
      v.activeIpVersion = readChoice(cur, opt, ['IPv4', 'IPv6'] as const);
      return;
    case 'Window':
      v.window = readInt(cur, opt, 1);
      return;
    case 'PersonalWindow':
      v.personalWindow = readInt(cur, opt, 1);
      return;
    case 'AcceleratedRing':
      v.acceleratedRing = readBool(cur, opt);
      return;
    case 'AcceleratedWindow':
      v.acceleratedWindow = readInt(cur, opt, 0);
      return;
    case 'WideAreaNetwork':
      v.wideAreaNetwork = readBool(cur, opt);
      return;
    case 'ExcludeSegAddrsFromHash':
      v.excludeSegAddrsFromHash = readBool(cur, opt);
      return;
    case 'IgnoreMulticastJoinErrors':
      v.ignoreMulticastJoinErrors = readBool(cur, opt);
      return;
    case 'TimeoutDefaults':
      v.timeoutDefaults = readChoice(cur, opt, ['guide', 'spread5'] as const);
      return;
    case 'PacketSize':
      v.packetSize = readPacketSize(cur, opt);
      return;
    case 'EventPriorities':
      v.eventPriorities = readBool(cur, opt);
      return;
    default:
      // The nine timeouts were handled above.
      return;
  }
}

/** True when `t` starts an option (`Name =`, `DebugFlags {`, or a bare time stamp option). */
export function startsOption(cur: Cursor, t: Token): boolean {
  const name = t.kind === 'word' ? optionName(t.text) : undefined;
  if (name === undefined) return false;
  const after = cur.peek(1).kind;
  return (
    after === '=' ||
    (name === 'DebugFlags' && after === '{') ||
    name === 'EventTimeStamp' ||
    name === 'EventPreciseTimeStamp'
  );
}
