import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError, parseConfig, tokenize } from '../../../daemon/config/index.ts';
import { configErrorOf } from './helpers.ts';

/** [what is broken, text, line, column, message] */
const BROKEN: ReadonlyArray<readonly [string, string, number, number, RegExp]> = [
  [
    'unclosed segment brace at end of file',
    'Spread_Segment 127.0.0.255:4803 {\n  d1 127.0.0.1\n',
    3,
    1,
    /^spread\.conf:3:1: expected '\}' to close the Spread_Segment opened at line 1, found end of file$/,
  ],
  [
    'unclosed segment brace before an option',
    'Spread_Segment 127.0.0.255:4803 {\n  d1 127.0.0.1\n\nDebugFlags = { PRINT }\n',
    4,
    1,
    /expected '\}' to close the Spread_Segment opened at line 1 before 'DebugFlags'/,
  ],
  [
    'unclosed interface brace',
    'Spread_Segment 127.0.0.255 {\n  d1 127.0.0.1 { D 127.0.0.1\n',
    3,
    1,
    /expected '\}' to close the interface list opened at line 2, found end of file/,
  ],
  [
    'missing segment address',
    'Spread_Segment {\n  d1 127.0.0.1\n}\n',
    1,
    16,
    /expected a segment address after 'Spread_Segment', found '\{'/,
  ],
  [
    'missing daemon address',
    'Spread_Segment 10.0.0.255 {\n  machine1\n}\n',
    2,
    3,
    /daemon 'machine1' has no address: expected an IP address after the name/,
  ],
  [
    "'=' where a daemon address belongs",
    'Spread_Segment 10.0.0.255 {\n  d1 127.0.0.1\n  d2 = 5\n}\n',
    3,
    6,
    /^spread\.conf:3:6: expected an IP address after daemon name 'd2', found '='$/,
  ],
  [
    "'=' after a complete daemon",
    'Spread_Segment 10.0.0.255 {\n  d1 127.0.0.1 = 5\n}\n',
    2,
    16,
    /^spread\.conf:2:16: expected '\}' or a daemon name, found '='$/,
  ],
  ['bad port', 'Spread_Segment 127.0.0.255:70000 {\n d1 127.0.0.1\n}\n', 1, 16, /bad port 70000 .*expected 1\.\.65534/],
  ['port 0', 'Spread_Segment 127.0.0.255:0 { d1 127.0.0.1 }', 1, 16, /bad port 0/],
  ['non-numeric port', 'Spread_Segment 127.0.0.255:http { d1 127.0.0.1 }', 1, 16, /bad segment address: bad port 'http'/],
  ['bad IPv4 address', 'Spread_Segment 10.0.0.255 { d1 10.0.0.256 }', 1, 32, /bad daemon address: '10\.0\.0\.256' is not an IPv4 address/],
  [
    'duplicate daemon name',
    'Spread_Segment 10.0.0.255 {\n  d1 10.0.0.1\n  d1 10.0.0.2\n}\n',
    3,
    3,
    /duplicate daemon name 'd1' \(first at line 2\)/,
  ],
  [
    'duplicate daemon address',
    'Spread_Segment 10.0.0.255 {\n  d1 10.0.0.1\n  d2 10.0.0.1\n}\n',
    3,
    6,
    /address 10\.0\.0\.1 port 4803 is already used by daemon 'd1' \(line 2\)/,
  ],
  [
    'colliding ports on one address',
    'Spread_Segment 127.0.0.255:4803 { a 127.0.0.1 }\nSpread_Segment 127.0.0.255:4804 { b 127.0.0.1 }',
    2,
    37,
    /ports 4803 and 4804 on address 127\.0\.0\.1 collide/,
  ],
  [
    'duplicate VirtualID',
    'Spread_Segment 10.0.0.255 {\n  a 10.0.0.1 VirtualID = 9\n  b 10.0.0.2 VirtualID = 9\n}',
    3,
    3,
    /daemon 'b' has id 9, already the id of 'a' \(line 2\)/,
  ],
  ['VirtualID 0', 'Spread_Segment 10.0.0.255 { a 10.0.0.1 VirtualID = 0 }', 1, 52, /VirtualID must be between 1 and 4294967294/],
  [
    'daemon name too long',
    'Spread_Segment 10.0.0.255 {\n  a_name_of_twenty_ch 10.0.0.1\n  a_name_of_twenty_chr 10.0.0.2\n}',
    3,
    3,
    /daemon name 'a_name_of_twenty_chr' is 20 characters long; at most 19 are allowed/,
  ],
  ['illegal character in a daemon name', 'Spread_Segment 10.0.0.255 { "a b" 10.0.0.1 }', 1, 29, /contains " "; names use the characters '\$' to '~' only/],
  ['bad DebugFlags name', '\n\nDebugFlags = { PRINT EXIT NETWRK }', 3, 27, /unknown debug flag 'NETWRK'/],
  [
    'partial timeout set',
    'TokenTimeout = 5000\nHurryTimeout = 2000\nSpread_Segment 10.0.0.255 { a 10.0.0.1 }',
    1,
    1,
    /incomplete membership timeouts: AliveTimeout, .*LookupTimeout missing; set all nine timeouts or none/,
  ],
  [
    'PersonalWindow > Window',
    'Spread_Segment 10.0.0.255 { a 10.0.0.1 }\nPersonalWindow = 200\n',
    2,
    1,
    /PersonalWindow \(200\) must not be larger than Window \(160\)/,
  ],
  ['unknown option', 'Spread_Segment 10.0.0.255 { a 10.0.0.1 }\n  TokenTimeut = 5\n', 2, 3, /unknown option 'TokenTimeut' \(did you mean 'TokenTimeout'\?\); expected 'Spread_Segment' or one of: DebugFlags, /],
  ['garbage bytes (control character)', 'Spread_Segment 10.0.0.255 {\n a 10.0.0.1 \u0001\n}', 2, 13, /unexpected character U\+0001/],
  ['garbage bytes (invalid UTF-8)', 'Spread_Segment 10.0.0.255 {\n  a \ufffd10.0.0.1\n}', 2, 5, /unexpected a byte that is not UTF-8/],
  ['unterminated string', 'EventLogFile = "/tmp/x.log\nSpread_Segment 10.0.0.255 { a 10.0.0.1 }', 1, 16, /unterminated string: expected a closing " on the same line/],
  ['no segment at all', '# only a comment\nWindow = 100\n', 3, 1, /expected a Spread_Segment: a configuration needs at least one segment, found end of file/],
  ['a segment without daemons', 'Spread_Segment 10.0.0.255 { }', 1, 1, /no daemons: a configuration needs at least one daemon/],
  ['interface list without the daemon address', 'Spread_Segment 10.0.0.255 {\n  a 10.0.0.1 { C 10.0.0.1 D 10.0.0.9 }\n}', 2, 14, /must include a D \(or untagged\) entry for the daemon's own address 10\.0\.0\.1/],
  ['empty interface list', 'Spread_Segment 10.0.0.255 { a 10.0.0.1 { } }', 1, 42, /expected D, C, M or an interface address in the interface list, found '\}'/],
  ['interface role without address', 'Spread_Segment 10.0.0.255 { a 10.0.0.1 { D } }', 1, 44, /expected an interface address after 'D', found '\}'/],
  ['port on a daemon address', 'Spread_Segment 10.0.0.255 { a 10.0.0.1:4803 }', 1, 31, /daemon address '10\.0\.0\.1:4803' takes no port/],
  ['multicast daemon address', 'Spread_Segment 10.0.0.255 { a 239.0.0.1 }', 1, 31, /must not be a multicast address/],
  ['unspecified segment address', 'Spread_Segment 0.0.0.0 { a 10.0.0.1 }', 1, 16, /must not be the unspecified address 0\.0\.0\.0/],
  ['mixed address families', 'Spread_Segment 10.0.0.255 { a ::2 }', 1, 31, /IPv6 address '::2' in an IPv4 configuration \(set by the first address \(line 1\)\)/],
  ['second segment address with a port', 'Spread_Segment 10.0.0.255 10.0.1.255:4803 { a 10.0.0.1 }', 1, 27, /only the first segment address may carry the port/],
  ['too many segment addresses', 'Spread_Segment 10.0.0.255 10.0.1.255 10.0.2.255 10.0.3.255 10.0.4.255 10.0.5.255 { a 10.0.0.1 }', 1, 71, /too many segment addresses: at most 5/],
  ['a word between the segment address and the brace', 'Spread_Segment 10.0.0.255 d1 { a 10.0.0.1 }', 1, 27, /expected '\{' or another segment address, found 'd1'/],
  ['punctuation where an option belongs', '= 5\nSpread_Segment 10.0.0.255 { a 10.0.0.1 }', 1, 1, /expected an option name or 'Spread_Segment', found '='/],
  ['missing = after an option', 'Window 100\nSpread_Segment 10.0.0.255 { a 10.0.0.1 }', 1, 8, /expected '=' after 'Window', found '100'/],
];

describe('broken files: ConfigError names file:line:column and what was expected', () => {
  for (const [what, text, line, column, message] of BROKEN) {
    test(what, () => {
      const err = configErrorOf(text);
      assert.deepEqual([err.file, err.line, err.column], ['spread.conf', line, column], err.message);
      assert.match(err.message, message);
      assert.ok(err.message.startsWith(`spread.conf:${line}:${column}: `), err.message);
      assert.equal(err.message, `spread.conf:${line}:${column}: ${err.reason}`);
    });
  }

  test('the source name given is the one in messages', () => {
    const err = configErrorOf('Window', '/etc/spread.conf');
    assert.equal(err.file, '/etc/spread.conf');
    assert.match(err.message, /^\/etc\/spread\.conf:1:7: expected '=' after 'Window', found end of file$/);
  });

  test('limits: 20 segments, 128 daemons', () => {
    const seg = (i: number): string => `Spread_Segment 10.${i}.0.255 { n${i} 10.${i}.0.1 }\n`;
    assert.equal(parseConfig(Array.from({ length: 20 }, (_, i) => seg(i)).join(''), 't').segments.length, 20);
    const many = configErrorOf(Array.from({ length: 21 }, (_, i) => seg(i)).join(''));
    assert.equal(many.line, 21);
    assert.match(many.message, /too many segments: at most 20/);
    const daemons = (n: number): string =>
      `Spread_Segment 10.0.0.255 {\n${Array.from({ length: n }, (_, i) => `  n${i} 10.0.${i >> 8}.${(i & 0xff) + 1}\n`).join('')}}`;
    assert.equal(parseConfig(daemons(128), 't').daemons.length, 128);
    const tooMany = configErrorOf(daemons(129));
    assert.equal(tooMany.line, 130);
    assert.match(tooMany.message, /too many daemons: at most 128/);
  });
});

describe('tokenizer', () => {
  test('line and column of each token, comments and punctuation', () => {
    const tokens = tokenize('# c\n  Window = 5 # five\n\t{ a;b } !X "q s"', 'f');
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.text, t.line, t.column]),
      [
        ['word', 'Window', 2, 3],
        ['=', '=', 2, 10],
        ['word', '5', 2, 12],
        ['{', '{', 3, 2],
        ['word', 'a', 3, 4],
        [';', ';', 3, 5],
        ['word', 'b', 3, 6],
        ['}', '}', 3, 8],
        ['!', '!', 3, 10],
        ['word', 'X', 3, 11],
        ['string', 'q s', 3, 13],
        ['eof', '', 3, 18],
      ],
    );
  });
  test('a byte order mark at the start is skipped; CRLF line ends work', () => {
    const c = parseConfig('\ufeffWindow = 100\r\nSpread_Segment 10.0.0.255 {\r\n a 10.0.0.1\r\n}\r\n', 't');
    assert.equal(c.window, 100);
    assert.equal(c.daemons[0]!.line, 3);
  });
});

describe('robustness', () => {
  const onlyConfigErrors = (text: string): void => {
    try {
      parseConfig(text, 'fuzz.conf');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      assert.ok(err.line >= 1 && err.column >= 1, err.message);
    }
  };

  test('random text never throws anything but a ConfigError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), onlyConfigErrors), { numRuns: 1000 });
  });

  test('random sequences of spread.conf words never throw anything but a ConfigError', () => {
    const pieces = fc.constantFrom(
      'Spread_Segment', '{', '}', '=', ';', '!', ':', '\n', ' ', '#', '"', 'd1', 'd2', 'localhost',
      '127.0.0.1', '127.0.0.2', '127.0.0.255:4803', '[::1]:4803', '::1', 'fe80::1%eth0', '0.0.0.0',
      'VirtualID', 'D', 'C', 'M', 'DebugFlags', 'ALL', 'NONE', 'PRINT', 'Window', 'PersonalWindow',
      'TokenTimeout', 'EventTimeStamp', 'EventLogFile', 'ActiveIPVersion', 'IPv6', 'yes', '0', '5', '99999',
      '"x y"', 'AcceleratedWindow', 'WideAreaNetwork',
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => onlyConfigErrors(parts.join(' '))),
      { numRuns: 2000 },
    );
  });
});
