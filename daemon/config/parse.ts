// spread.conf -> SpreadConfig (design 2.2-2.4). Pure: no file system, no DNS, no clock.
// A file that does not parse or validate throws one ConfigError; nothing half-built escapes.
import { isKeyword, Cursor } from './cursor.ts';
import { configHash } from './ids.ts';
import { DEFAULT_TIMESTAMP_FORMAT, MAX_SEGMENTS } from './limits.ts';
import { LOOPBACK_DATAGRAM_BYTES, MAX_DATAGRAM_BYTES } from '../wire/constants.ts';
import { isLoopback, parseIpLiteral } from './address.ts';
import {
  DAEMON_KEY_TAG_BYTES,
  type DaemonKeySpec,
  type DaemonSpec,
  type MembershipTimeouts,
  type SpreadConfig,
  type TlsListenerSpec,
} from './model.ts';
import {
  defaultOptionValues,
  optionName,
  OPTION_NAMES,
  parseOption,
  type OptionName,
  type OptionValues,
} from './options.ts';
import { newRegistry, readSegment, type SegmentRegistry } from './segments.ts';
import { defaultTimeouts, TIMEOUT_OPTIONS } from './timeouts.ts';
import { describeToken, tokenize, type Token } from './tokens.ts';

export interface ParseOptions {
  /** Replaces %h and %H in EventLogFile; left as written when absent. */
  readonly hostName?: string;
}

/** Parses and validates the text of a spread.conf. `source` names it in messages. */
export function parseConfig(text: string, source: string, opts: ParseOptions = {}): SpreadConfig {
  const cur: Cursor = new Cursor(tokenize(text, source), source);
  const values = defaultOptionValues();
  let reg: SegmentRegistry | undefined;
  let firstSegment: Token | undefined;
  for (;;) {
    const t = cur.peek();
    if (t.kind === 'eof') break;
    if (isKeyword(t, 'Spread_Segment')) {
      if ((reg?.segments.length ?? 0) >= MAX_SEGMENTS) cur.fail(t, `too many segments: at most ${MAX_SEGMENTS}`);
      firstSegment ??= t;
      reg ??= newRegistry(values.activeIpVersion);
      readSegment(cur, reg);
      continue;
    }
    if (t.kind !== 'word') cur.expected("an option name or 'Spread_Segment'", t);
    const name = optionName(t.text);
    if (name === undefined) cur.fail(t, unknownOptionMessage(t));
    cur.next();
    parseOption(cur, t, name, values, { hostName: opts.hostName, firstSegmentLine: firstSegment?.line });
  }
  const end = cur.peek();
  if (reg === undefined || firstSegment === undefined) {
    return cur.fail(end, 'expected a Spread_Segment: a configuration needs at least one segment, found end of file');
  }
  if (reg.daemons.length === 0) {
    cur.fail(firstSegment, 'no daemons: a configuration needs at least one daemon in a Spread_Segment');
  }
  return assemble(cur, values, reg, source, end);
}

function assemble(
  cur: Cursor,
  v: OptionValues,
  reg: SegmentRegistry,
  source: string,
  end: Token,
): SpreadConfig {
  // The place to blame for a check on several options: the last of them given, else the end.
  const at = (...names: ReadonlyArray<OptionName>): Token =>
    names
      .map((n) => v.given.get(n))
      .filter((t): t is Token => t !== undefined)
      .reduce<Token | undefined>((a, b) => (a === undefined ? b : laterOf(a, b)), undefined) ?? end;
  const wideAreaNetwork = v.wideAreaNetwork ?? reg.segments.length > 1;
  const acceleratedRing = v.acceleratedRing ?? !wideAreaNetwork;
  if (v.personalWindow > v.window) {
    cur.fail(
      at('PersonalWindow', 'Window'),
      `PersonalWindow (${v.personalWindow}) must not be larger than Window (${v.window})`,
    );
  }
  if (acceleratedRing && v.acceleratedWindow > v.personalWindow) {
    cur.fail(
      at('AcceleratedWindow', 'PersonalWindow', 'AcceleratedRing'),
      `AcceleratedWindow (${v.acceleratedWindow}) must not be larger than PersonalWindow (${v.personalWindow}) ` +
        'with the accelerated ring',
    );
  }
  const timeouts = resolveTimeouts(cur, v, wideAreaNetwork);
  const requiredAuthMethods = v.requiredAuthMethods;
  // Required methods are allowed too; naming only required ones drops the implied NULL.
  const onlyRequired = v.given.has('RequiredAuthMethods') && !v.given.has('AllowedAuthMethods');
  const allowedBase = onlyRequired ? [] : v.allowedAuthMethods;
  const allowedAuthMethods = [...new Set([...allowedBase, ...requiredAuthMethods])];
  if (v.eventPreciseTimeStamp && v.eventTimeStamp === undefined) {
    const where = cur.where(at('EventPreciseTimeStamp'));
    v.warnings.push(`${where}EventPreciseTimeStamp without EventTimeStamp turns on the default time stamp`);
  }
  const segments = Object.freeze([...reg.segments]);
  const tls = tlsListener(cur, v, reg);
  const daemonKey = daemonKeyOf(cur, v);
  const packetSize = v.packetSize === 'auto' ? autoPacketSize(reg.daemons) : v.packetSize;
  const config: SpreadConfig = {
    source,
    segments,
    daemons: Object.freeze([...reg.daemons]),
    debugFlags: v.debugFlags,
    eventPriority: v.eventPriority,
    eventLogFile: v.eventLogFile,
    eventTimeStamp: v.eventTimeStamp ?? (v.eventPreciseTimeStamp ? DEFAULT_TIMESTAMP_FORMAT : undefined),
    eventPreciseTimeStamp: v.eventPreciseTimeStamp,
    dangerousMonitor: v.dangerousMonitor,
    socketPortReuse: v.socketPortReuse,
    runtimeDir: v.runtimeDir,
    daemonUser: v.daemonUser,
    daemonGroup: v.daemonGroup,
    requiredAuthMethods: Object.freeze([...requiredAuthMethods]),
    allowedAuthMethods: Object.freeze(allowedAuthMethods),
    accessControlPolicy: v.accessControlPolicy,
    accessIpFile: v.accessIpFile,
    tls,
    daemonKey,
    maxSessionMessages: v.maxSessionMessages,
    window: v.window,
    personalWindow: v.personalWindow,
    acceleratedRing,
    acceleratedWindow: v.acceleratedWindow,
    packetSize: daemonKey === undefined ? packetSize : packetSize - DAEMON_KEY_TAG_BYTES,
    eventPriorities: v.eventPriorities,
    wideAreaNetwork,
    timeouts,
    excludeSegAddrsFromHash: v.excludeSegAddrsFromHash,
    configHash: configHash(segments, { excludeSegAddrs: v.excludeSegAddrsFromHash, acceleratedRing }),
    warnings: Object.freeze([...v.warnings]),
    activeIpVersion: reg.family ?? 'IPv4',
    ignoreMulticastJoinErrors: v.ignoreMulticastJoinErrors,
  };
  return Object.freeze(config);
}

/** TlsPort with its certificate and key; the other Tls options only with TlsPort. */
function tlsListener(cur: Cursor, v: OptionValues, reg: SegmentRegistry): TlsListenerSpec | undefined {
  const port = v.given.get('TlsPort');
  if (port === undefined || v.tlsPort === undefined) {
    for (const n of ['TlsCertificate', 'TlsKey', 'TlsCA', 'TlsRequireClientCertificate'] as const) {
      const t = v.given.get(n);
      if (t !== undefined) cur.fail(t, `${n} without TlsPort: set TlsPort to open the TLS client listener`);
    }
    return undefined;
  }
  if (v.tlsCertificate === undefined || v.tlsKey === undefined) {
    cur.fail(port, 'TlsPort needs TlsCertificate and TlsKey (PEM files)');
  }
  if (v.tlsRequireClientCertificate && v.tlsCA === undefined) {
    cur.fail(v.given.get('TlsRequireClientCertificate') ?? port, 'TlsRequireClientCertificate needs TlsCA to check client certificates against');
  }
  const clash = reg.daemons.find((d) => d.port === v.tlsPort);
  if (clash !== undefined) cur.fail(port, `TlsPort ${v.tlsPort} is the client port of daemon ${clash.name}`);
  return Object.freeze({
    port: v.tlsPort,
    certificateFile: v.tlsCertificate,
    keyFile: v.tlsKey,
    caFile: v.tlsCA,
    requireClientCertificate: v.tlsRequireClientCertificate,
  });
}

/** DaemonKey or DaemonKeyFile; when both are given the later one wins, as with a repeated option. */
function daemonKeyOf(cur: Cursor, v: OptionValues): DaemonKeySpec | undefined {
  const text = v.given.get('DaemonKey');
  const file = v.given.get('DaemonKeyFile');
  if (text !== undefined && file !== undefined) {
    const later = laterOf(text, file);
    v.warnings.push(`${cur.where(later)}DaemonKey and DaemonKeyFile both given; the later (${later === text ? 'DaemonKey' : 'DaemonKeyFile'}) wins`);
    return later === text ? Object.freeze({ text: v.daemonKey! }) : Object.freeze({ file: v.daemonKeyFile! });
  }
  if (v.daemonKey !== undefined) return Object.freeze({ text: v.daemonKey });
  if (v.daemonKeyFile !== undefined) return Object.freeze({ file: v.daemonKeyFile });
  return undefined;
}

function laterOf(a: Token, b: Token): Token {
  return a.line > b.line || (a.line === b.line && a.column > b.column) ? a : b;
}

/** All nine given, or none (then the default set for one or several segments). */
function resolveTimeouts(cur: Cursor, v: OptionValues, wideAreaNetwork: boolean): MembershipTimeouts {
  const given = TIMEOUT_OPTIONS.filter(([name]) => v.given.has(name));
  if (given.length === 0) return defaultTimeouts(v.timeoutDefaults, wideAreaNetwork);
  if (given.length < TIMEOUT_OPTIONS.length) {
    const missing = TIMEOUT_OPTIONS.filter(([name]) => !v.given.has(name)).map(([name]) => name);
    const firstGiven = given
      .map(([name]) => v.given.get(name) as Token)
      .reduce((a, b) => (laterOf(a, b) === a ? b : a));
    cur.fail(
      firstGiven,
      `incomplete membership timeouts: ${missing.join(', ')} missing; set all nine timeouts or none`,
    );
  }
  const t = v.timeouts as MembershipTimeouts;
  const token = v.given.get('TokenTimeout') as Token;
  if (t.hurryMs >= t.tokenMs) {
    const at = v.given.get('HurryTimeout') ?? token;
    cur.fail(at, `HurryTimeout (${t.hurryMs}) must be shorter than TokenTimeout (${t.tokenMs})`);
  }
  if (t.repMs <= t.joinMs) {
    const at = v.given.get('RepTimeout') ?? token;
    cur.fail(at, `RepTimeout (${t.repMs}) must be longer than JoinTimeout (${t.joinMs})`);
  }
  return Object.freeze({ ...t });
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function unknownOptionMessage(t: Token): string {
  const lower = t.text.toLowerCase();
  const close = [...OPTION_NAMES, 'Spread_Segment'].find((n) => editDistance(n.toLowerCase(), lower) <= 2);
  const hint = close !== undefined ? ` (did you mean '${close}'?)` : '';
  return (
    `unknown option ${describeToken(t)}${hint}; expected 'Spread_Segment' or one of: ${OPTION_NAMES.join(', ')}`
  );
}

/** `PacketSize = auto`: loopback-sized datagrams when every daemon is on this host, else one Ethernet MTU. */
function autoPacketSize(daemons: ReadonlyArray<DaemonSpec>): number {
  const onLoopback = daemons.every((d) => {
    const ip = parseIpLiteral(d.address);
    return ip !== undefined && isLoopback(ip);
  });
  return onLoopback ? LOOPBACK_DATAGRAM_BYTES : MAX_DATAGRAM_BYTES;
}
