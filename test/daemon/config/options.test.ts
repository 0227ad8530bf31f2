import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEBUG_CATEGORIES,
  GUIDE_TIMEOUTS,
  OPTION_NAMES,
  SPREAD5_TIMEOUTS,
} from '../../../daemon/config/index.ts';
import { parseConfig } from '../../../daemon/config/index.ts';
import { configErrorOf, SEGMENT, withOptions } from './helpers.ts';

/** The option line is line 1, so errors about its value are on line 1. */
function rejects(option: string, message: RegExp): void {
  const err = configErrorOf(`${option}\n${SEGMENT}`);
  assert.equal(err.line, 1, `${option}: ${err.message}`);
  assert.match(err.message, message, option);
}

describe('defaults (design 2.3)', () => {
  test('a file with only a segment gets every default', () => {
    const c = withOptions('');
    assert.deepEqual([...c.debugFlags].sort(), ['EXIT', 'PRINT']);
    assert.equal(c.eventPriority, 'INFO');
    assert.equal(c.eventLogFile, undefined);
    assert.equal(c.eventTimeStamp, undefined);
    assert.equal(c.eventPreciseTimeStamp, false);
    assert.equal(c.dangerousMonitor, false);
    assert.equal(c.socketPortReuse, 'AUTO');
    assert.equal(c.runtimeDir, '/var/run/spread');
    assert.equal(c.daemonUser, 'spread');
    assert.equal(c.daemonGroup, 'spread');
    assert.deepEqual(c.requiredAuthMethods, []);
    assert.deepEqual(c.allowedAuthMethods, ['NULL']);
    assert.equal(c.accessControlPolicy, 'PERMIT');
    assert.equal(c.maxSessionMessages, 1000);
    assert.equal(c.activeIpVersion, 'IPv4');
    assert.equal(c.window, 160);
    assert.equal(c.personalWindow, 20);
    assert.equal(c.acceleratedRing, true);
    assert.equal(c.acceleratedWindow, 15);
    assert.equal(c.wideAreaNetwork, false);
    assert.deepEqual(c.timeouts, GUIDE_TIMEOUTS.local);
    assert.equal(c.excludeSegAddrsFromHash, false);
    assert.equal(c.ignoreMulticastJoinErrors, false);
    assert.deepEqual(c.warnings, []);
  });
});

describe('booleans', () => {
  const boolOptions = [
    ['DangerousMonitor', 'dangerousMonitor'],
    ['AcceleratedRing', 'acceleratedRing'],
    ['WideAreaNetwork', 'wideAreaNetwork'],
    ['ExcludeSegAddrsFromHash', 'excludeSegAddrsFromHash'],
    ['IgnoreMulticastJoinErrors', 'ignoreMulticastJoinErrors'],
  ] as const;
  for (const [name, field] of boolOptions) {
    test(`${name}: true/false/yes/no/on/off/1/0 in any case; anything else is an error`, () => {
      for (const [word, value] of [
        ['true', true],
        ['TRUE', true],
        ['Yes', true],
        ['on', true],
        ['1', true],
        ['false', false],
        ['No', false],
        ['OFF', false],
        ['0', false],
      ] as const) {
        const c = withOptions(`${name} = ${word}\nPersonalWindow = 20\nAcceleratedWindow = 15`);
        assert.equal(c[field], value, `${name} = ${word}`);
      }
      rejects(`${name} = maybe`, /1:\d+: expected true, false, yes, no, on, off, 1 or 0 after '.+ =', found 'maybe'/);
      rejects(`${name} = 2`, /expected true, false/);
      rejects(`${name} true`, /expected '=' after '.+', found 'true'/);
    });
  }
});

describe('numbers', () => {
  test('Window, PersonalWindow, AcceleratedWindow, MaxSessionMessages', () => {
    const c = withOptions('Window = 300\nPersonalWindow = 40\nAcceleratedWindow = 0\nMaxSessionMessages = 5000');
    assert.equal(c.window, 300);
    assert.equal(c.personalWindow, 40);
    assert.equal(c.acceleratedWindow, 0);
    assert.equal(c.maxSessionMessages, 5000);
    rejects('Window = 0', /Window must be between 1 and 999999999, found 0/);
    rejects('Window = -5', /expected a whole number after 'Window =', found '-5'/);
    rejects('Window = ten', /expected a whole number/);
    rejects('PersonalWindow = 1e3', /expected a whole number/);
    rejects('MaxSessionMessages = 0', /between 1 and/);
    rejects('MaxSessionMessages = 1000000000', /between 1 and 999999999/);
    rejects('AcceleratedWindow = "x"', /expected a whole number/);
  });
  test('PersonalWindow must not exceed Window; AcceleratedWindow not PersonalWindow (accelerated)', () => {
    const err = configErrorOf(`Window = 100\nPersonalWindow = 101\n${SEGMENT}`);
    assert.equal(err.line, 2);
    assert.match(err.message, /PersonalWindow \(101\) must not be larger than Window \(100\)/);
    const err2 = configErrorOf(`PersonalWindow = 10\nAcceleratedWindow = 11\n${SEGMENT}`);
    assert.equal(err2.line, 2);
    assert.match(err2.message, /AcceleratedWindow \(11\) must not be larger than PersonalWindow \(10\)/);
    // Without the accelerated ring the accelerated window does not matter.
    assert.doesNotThrow(() => withOptions('AcceleratedRing = false\nPersonalWindow = 10\nAcceleratedWindow = 11'));
  });
});

describe('membership timeouts', () => {
  const all = (ms: number[]): string =>
    ['Token', 'Hurry', 'Alive', 'Join', 'Rep', 'Seg', 'Gather', 'Form', 'Lookup']
      .map((n, i) => `${n}Timeout = ${ms[i]}`)
      .join('\n');
  test('all nine given are used as they are, in milliseconds', () => {
    const c = withOptions(all([1250, 500, 250, 250, 625, 500, 1250, 1250, 30000]));
    assert.deepEqual(c.timeouts, SPREAD5_TIMEOUTS.local);
  });
  test('the default set follows the number of segments and WideAreaNetwork', () => {
    assert.deepEqual(withOptions('WideAreaNetwork = true').timeouts, GUIDE_TIMEOUTS.wide);
    assert.deepEqual(withOptions('WideAreaNetwork = true').acceleratedRing, false);
    assert.deepEqual(withOptions('TimeoutDefaults = spread5').timeouts, SPREAD5_TIMEOUTS.local);
    assert.deepEqual(withOptions('TimeoutDefaults = Spread5\nWideAreaNetwork = on').timeouts, SPREAD5_TIMEOUTS.wide);
    rejects('TimeoutDefaults = fast', /expected one of guide, spread5 after 'TimeoutDefaults =', found 'fast'/);
  });
  test('a partial set is rejected at the first timeout given, naming the missing ones', () => {
    const err = configErrorOf(`Window = 100\nHurryTimeout = 2000\nTokenTimeout = 5000\n${SEGMENT}`);
    assert.equal(err.line, 2);
    assert.match(err.message, /incomplete membership timeouts: AliveTimeout, JoinTimeout, RepTimeout, SegTimeout, GatherTimeout, FormTimeout, LookupTimeout missing/);
  });
  test('bad values and broken invariants', () => {
    rejects('TokenTimeout = 0', /TokenTimeout must be between 1/);
    rejects('TokenTimeout = 5s', /expected a whole number/);
    const hurry = configErrorOf(`${all([1000, 1000, 100, 100, 300, 500, 1000, 1000, 9000])}\n${SEGMENT}`);
    assert.equal(hurry.line, 2);
    assert.match(hurry.message, /HurryTimeout \(1000\) must be shorter than TokenTimeout \(1000\)/);
    const rep = configErrorOf(`${all([1000, 500, 100, 100, 100, 500, 1000, 1000, 9000])}\n${SEGMENT}`);
    assert.equal(rep.line, 5);
    assert.match(rep.message, /RepTimeout \(100\) must be longer than JoinTimeout \(100\)/);
  });
});

describe('logging options', () => {
  test('EventPriority accepts the six levels in any case', () => {
    for (const [w, level] of [
      ['pDEBUG', 'pDEBUG'],
      ['info', 'INFO'],
      ['WARNING', 'WARNING'],
      ['Error', 'ERROR'],
      ['CRITICAL', 'CRITICAL'],
      ['fatal', 'FATAL'],
    ] as const) {
      assert.equal(withOptions(`EventPriority = ${w}`).eventPriority, level);
    }
    rejects('EventPriority = LOUD', /expected one of pDEBUG, INFO, WARNING, ERROR, CRITICAL, FATAL after 'EventPriority =', found 'LOUD'/);
    rejects('EventPriority = { INFO }', /expected a priority after 'EventPriority =', found '\{'/);
  });

  test('EventLogFile replaces %h and %H with the host name given', () => {
    const c = withOptions('EventLogFile = /var/log/spread.%h.%H.log', { hostName: 'alpha' });
    assert.equal(c.eventLogFile, '/var/log/spread.alpha.alpha.log');
    assert.equal(withOptions('EventLogFile = "/tmp/with space %h.log"', { hostName: 'b' }).eventLogFile, '/tmp/with space b.log');
    assert.equal(withOptions('EventLogFile = /tmp/%h.log').eventLogFile, '/tmp/%h.log');
    assert.equal(withOptions('EventLogFile = /tmp/%h.log', { hostName: 'a$&b' }).eventLogFile, '/tmp/a$&b.log');
    rejects('EventLogFile = ""', /expected a file name after 'EventLogFile =', found ""/);
    // The next line's keyword is not taken as the value.
    const missing = configErrorOf(`EventLogFile =\n${SEGMENT}`);
    assert.deepEqual([missing.line, missing.column], [2, 1]);
    assert.match(missing.message, /expected a file name after 'EventLogFile =', found 'Spread_Segment'/);
  });

  test('EventTimeStamp bare or with a format; EventPreciseTimeStamp', () => {
    assert.equal(withOptions('EventTimeStamp').eventTimeStamp, '[%a %d %b %Y %H:%M:%S]');
    assert.equal(withOptions('EventTimeStamp = "%H:%M:%S"').eventTimeStamp, '%H:%M:%S');
    assert.equal(withOptions("EventTimeStamp = '%F %T'").eventTimeStamp, '%F %T');
    const p = withOptions('EventTimeStamp = "%T"\nEventPreciseTimeStamp');
    assert.equal(p.eventPreciseTimeStamp, true);
    assert.equal(p.eventTimeStamp, '%T');
    // Precise alone turns the default time stamp on, with a warning.
    const alone = withOptions('EventPreciseTimeStamp');
    assert.equal(alone.eventTimeStamp, '[%a %d %b %Y %H:%M:%S]');
    assert.match(alone.warnings.join('\n'), /EventPreciseTimeStamp without EventTimeStamp/);
    assert.equal(withOptions('EventPreciseTimeStamp = no').eventPreciseTimeStamp, false);
    rejects('EventTimeStamp = ""', /expected a quoted time format after 'EventTimeStamp =', found ""/);
    rejects('EventTimeStamp = {', /expected a quoted time format/);
  });
});

describe('DebugFlags', () => {
  const flags = (f: string): string[] => [...withOptions(`DebugFlags = ${f}`).debugFlags].sort();
  test('{ ALL !DATA_LINK } is everything but DATA_LINK', () => {
    assert.deepEqual(flags('{ ALL !DATA_LINK }'), DEBUG_CATEGORIES.filter((c) => c !== 'DATA_LINK').sort());
  });
  test('the guide example { ALL !DATA_LINK !EVENTS }', () => {
    assert.deepEqual(flags('{ ALL !DATA_LINK !EVENTS }'), DEBUG_CATEGORIES.filter((c) => c !== 'DATA_LINK' && c !== 'EVENTS').sort());
  });
  test('{ NONE } and { } leave only PRINT and EXIT, which are always forced on', () => {
    assert.deepEqual(flags('{ NONE }'), ['EXIT', 'PRINT']);
    assert.deepEqual(flags('{ }'), ['EXIT', 'PRINT']);
    const c = withOptions('DebugFlags = { ALL !PRINT !EXIT }');
    assert.ok(c.debugFlags.has('PRINT') && c.debugFlags.has('EXIT'));
    assert.match(c.warnings.join('\n'), /PRINT and EXIT stay on/);
  });
  test('evaluated left to right: a later flag re-adds what an earlier ! removed', () => {
    assert.deepEqual(flags('{ MEMBERSHIP !MEMBERSHIP GROUPS }'), ['EXIT', 'GROUPS', 'PRINT']);
    assert.deepEqual(flags('{ !GROUPS GROUPS }'), ['EXIT', 'GROUPS', 'PRINT']);
    assert.deepEqual(flags('{ ALL !ALL SESSION }'), ['EXIT', 'PRINT', 'SESSION']);
    assert.deepEqual(withOptions('DebugFlags = { ALL !ALL }').warnings, []);
    // NONE adds nothing (as in Spread): to turn everything off after ALL, write !ALL.
    assert.equal(flags('{ ALL NONE }').length, DEBUG_CATEGORIES.length);
  });
  test('flags are case-insensitive, "=" is optional, ! may be followed by a space', () => {
    assert.deepEqual([...withOptions('debugflags { membership ! membership groups }').debugFlags].sort(), ['EXIT', 'GROUPS', 'PRINT']);
  });
  test('an unknown flag names itself and the known ones', () => {
    const err = configErrorOf(`\nDebugFlags = { PRINT MEMBERSHIPS }\n${SEGMENT}`);
    assert.equal(err.line, 2);
    assert.equal(err.column, 22);
    assert.match(err.message, /unknown debug flag 'MEMBERSHIPS'; expected one of EXIT PRINT .* ALL NONE/);
  });
  test('other broken lists', () => {
    rejects('DebugFlags = PRINT', /expected '\{' after 'DebugFlags', found 'PRINT'/);
    rejects('DebugFlags = { ! }', /expected a debug flag after '!', found '\}'/);
    rejects('DebugFlags = { PRINT = }', /expected a debug flag or '\}', found '='/);
    const err = configErrorOf('DebugFlags = { PRINT EXIT');
    assert.match(err.message, /expected '\}' to close the DebugFlags list opened at line 1, found end of file/);
  });
});

describe('other options', () => {
  test('SocketPortReuse AUTO|ON|OFF', () => {
    assert.equal(withOptions('SocketPortReuse = on').socketPortReuse, 'ON');
    assert.equal(withOptions('SocketPortReuse = OFF').socketPortReuse, 'OFF');
    assert.equal(withOptions('SocketPortReuse = Auto').socketPortReuse, 'AUTO');
    rejects('SocketPortReuse = true', /expected one of AUTO, ON, OFF after 'SocketPortReuse =', found 'true'/);
  });
  test('RuntimeDir, DaemonUser, DaemonGroup are kept, without warnings (the daemon acts on them)', () => {
    const c = withOptions('RuntimeDir = /var/run/x\nDaemonUser = nobody\nDaemonGroup = "nogroup"');
    assert.equal(c.runtimeDir, '/var/run/x');
    assert.equal(c.daemonUser, 'nobody');
    assert.equal(c.daemonGroup, 'nogroup');
    assert.deepEqual(c.warnings, []);
    rejects('DaemonUser = ""', /expected a user name/);
    rejects(`DaemonGroup = ${'g'.repeat(33)}`, /DaemonGroup is longer than 32 characters/);
    rejects('RuntimeDir = =', /expected a directory after 'RuntimeDir =', found '='/);
  });
  test('authentication methods: quoted lists of NULL and IP; required ones are allowed too', () => {
    const c = withOptions('AllowedAuthMethods = "NULL IP"\nRequiredAuthMethods = "IP"');
    assert.deepEqual(c.allowedAuthMethods, ['NULL', 'IP']);
    assert.deepEqual(c.requiredAuthMethods, ['IP']);
    const r = withOptions('RequiredAuthMethods = "IP"');
    assert.deepEqual(r.allowedAuthMethods, ['IP']);
    assert.deepEqual(withOptions('AllowedAuthMethods = "ip"').allowedAuthMethods, ['IP']);
    rejects('AllowedAuthMethods = "NULL KERBEROS"', /unknown authentication method 'KERBEROS'; expected NULL or IP/);
    rejects('RequiredAuthMethods = "  "', /expected a list of authentication methods/);
  });
  test('AccessControlPolicy PERMIT or IP', () => {
    assert.equal(withOptions('AccessControlPolicy = "PERMIT"').accessControlPolicy, 'PERMIT');
    assert.equal(withOptions('AccessControlPolicy = ip').accessControlPolicy, 'IP');
    rejects('AccessControlPolicy = "DENY"', /expected one of PERMIT, IP after 'AccessControlPolicy =', found "DENY"/);
  });
  test('ActiveIPVersion IPv4|IPv6, before the first segment, and checked against every address', () => {
    assert.equal(withOptions('ActiveIPVersion = ipv4').activeIpVersion, 'IPv4');
    rejects('ActiveIPVersion = IPv5', /expected one of IPv4, IPv6/);
    const late = configErrorOf(`${SEGMENT}ActiveIPVersion = IPv4\n`);
    assert.equal(late.line, 4);
    assert.match(late.message, /ActiveIPVersion must come before the first Spread_Segment \(line 1\)/);
    const mismatch = configErrorOf(`ActiveIPVersion = IPv6\n${SEGMENT}`);
    assert.equal(mismatch.line, 2);
    assert.match(mismatch.message, /IPv4 address '127\.0\.0\.255:4803' in an IPv6 configuration \(set by ActiveIPVersion\)/);
  });
  test('option names are case-insensitive', () => {
    const c = withOptions('WINDOW = 200\npersonalwindow = 30\neventtimestamp\nDANGEROUSMONITOR = yes');
    assert.equal(c.window, 200);
    assert.equal(c.personalWindow, 30);
    assert.ok(c.eventTimeStamp !== undefined);
    assert.equal(c.dangerousMonitor, true);
  });
  test('an option given twice: the later value wins, with a warning', () => {
    const c = withOptions('Window = 200\nWindow = 300');
    assert.equal(c.window, 300);
    assert.match(c.warnings.join('\n'), /spread\.conf:2:1: Window given again \(earlier at line 1\); the later value wins/);
  });
  test('options may come after the segments', () => {
    const c = withOptions('');
    assert.equal(c.window, 160);
    const after = configErrorOf(`${SEGMENT}Window = 0\n`);
    assert.equal(after.line, 4);
  });
  test('every option name is accepted', () => {
    const sample: Record<string, string> = {
      DebugFlags: '{ PRINT }',
      EventPriority: 'INFO',
      EventLogFile: '/tmp/x.log',
      EventTimeStamp: '"%T"',
      EventPreciseTimeStamp: 'true',
      DangerousMonitor: 'false',
      SocketPortReuse: 'AUTO',
      RuntimeDir: '/tmp',
      DaemonUser: 'u',
      DaemonGroup: 'g',
      RequiredAuthMethods: '"NULL"',
      AllowedAuthMethods: '"NULL"',
      AccessControlPolicy: 'PERMIT',
      AccessIpFile: '/etc/spread.access_ip',
      TlsPort: '4805',
      TlsCertificate: 'server.pem',
      TlsKey: 'server.key',
      TlsCA: 'ca.pem',
      TlsRequireClientCertificate: 'yes',
      DaemonKey: '"k"',
      DaemonKeyFile: 'key.txt',
      MaxSessionMessages: '10',
      ActiveIPVersion: 'IPv4',
      Window: '160',
      PersonalWindow: '20',
      AcceleratedRing: 'true',
      AcceleratedWindow: '15',
      WideAreaNetwork: 'false',
      ExcludeSegAddrsFromHash: 'false',
      IgnoreMulticastJoinErrors: 'true',
      TimeoutDefaults: 'guide',
      PacketSize: 'auto',
      EventPriorities: 'true',
      TokenTimeout: '5000',
      HurryTimeout: '2000',
      AliveTimeout: '1000',
      JoinTimeout: '1000',
      RepTimeout: '2500',
      SegTimeout: '2000',
      GatherTimeout: '5000',
      FormTimeout: '5000',
      LookupTimeout: '60000',
    };
    assert.deepEqual(Object.keys(sample).sort(), [...OPTION_NAMES].sort());
    const c = withOptions(OPTION_NAMES.map((n) => `${n} = ${sample[n]}`).join('\n'));
    assert.equal(c.ignoreMulticastJoinErrors, true);
    assert.deepEqual(c.timeouts, GUIDE_TIMEOUTS.local);
  });
});

describe('PacketSize (extension: the ring datagram size)', () => {
  const hosts = (a: string, b: string): string => `Spread_Segment 127.255.255.255:4803 {\n  a ${a}\n  b ${b}\n}\n`;

  test('auto: 16 KB datagrams when every daemon is on loopback, one Ethernet MTU otherwise', () => {
    assert.equal(parseConfig(hosts('127.0.0.1', '127.0.0.2'), 't').packetSize, 16384);
    assert.equal(parseConfig(`PacketSize = auto\n${hosts('127.0.0.1', '127.0.0.2')}`, 't').packetSize, 16384);
    assert.equal(parseConfig(hosts('127.0.0.1', '10.0.0.2'), 't').packetSize, 1472);
  });

  test('a number is taken as given, within 1472..65507', () => {
    assert.equal(parseConfig(`PacketSize = 1472\n${hosts('127.0.0.1', '127.0.0.2')}`, 't').packetSize, 1472);
    assert.equal(parseConfig(`PacketSize = 9000\n${hosts('10.0.0.1', '10.0.0.2')}`, 't').packetSize, 9000);
    rejects('PacketSize = 1000', /between 1472 and 65507/);
    rejects('PacketSize = 70000', /between 1472 and 65507/);
    rejects('PacketSize = big', /whole number/);
  });
});
