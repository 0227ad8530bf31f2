import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  daemonIdFromName,
  GUIDE_TIMEOUTS,
  parseConfig,
  type SpreadConfig,
} from '../../../daemon/config/index.ts';

const repoFile = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const roles = (c: SpreadConfig, d: number, i: number): string[] => [...c.daemons[d]!.interfaces[i]!.roles].sort();

describe('shipped configuration files', () => {
  test('config/three-daemons.conf: three daemons with their names, addresses, interfaces and order', () => {
    const c = parseConfig(readFileSync(repoFile('config/three-daemons.conf'), 'utf8'), 'three-daemons.conf');
    assert.equal(c.segments.length, 1);
    assert.deepEqual(c.segments[0]!.addresses, ['127.255.255.255']);
    assert.equal(c.segments[0]!.port, 4803);
    assert.deepEqual(
      c.daemons.map((d) => [d.name, d.address, d.port, d.order, d.segmentIndex, d.indexInSegment]),
      [
        ['d1', '127.0.0.1', 4803, 0, 0, 0],
        ['d2', '127.0.0.2', 4803, 1, 0, 1],
        ['d3', '127.0.0.3', 4803, 2, 0, 2],
      ],
    );
    for (const [i, d] of c.daemons.entries()) {
      assert.deepEqual(
        d.interfaces.map((f) => f.address),
        [d.address, d.address],
      );
      assert.deepEqual(roles(c, i, 0), ['D']);
      assert.deepEqual(roles(c, i, 1), ['C']);
      assert.equal(d.id, daemonIdFromName(d.name));
    }
    assert.deepEqual(c.segments[0]!.daemons, c.daemons);
    assert.deepEqual(c.warnings, []);
  });

  test('config/three-daemons.conf laid out on one line parses the same', () => {
    const oneLine =
      'Spread_Segment 127.255.255.255:4803 { d1 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 } d2 127.0.0.2 { D 127.0.0.2 C 127.0.0.2 } d3 127.0.0.3 { D 127.0.0.3 C 127.0.0.3 } }';
    const a = parseConfig(oneLine, 'a');
    const b = parseConfig(readFileSync(repoFile('config/three-daemons.conf'), 'utf8'), 'b');
    assert.equal(a.configHash, b.configHash);
    assert.deepEqual(
      a.daemons.map((d) => [d.name, d.address, d.interfaces.length]),
      b.daemons.map((d) => [d.name, d.address, d.interfaces.length]),
    );
  });

  test('config/spread.conf: one daemon named localhost and the defaults', () => {
    const c = parseConfig(readFileSync(repoFile('config/spread.conf'), 'utf8'), 'spread.conf');
    assert.deepEqual(
      c.daemons.map((d) => [d.name, d.address, d.port]),
      [['localhost', '127.0.0.1', 4803]],
    );
    assert.deepEqual(c.segments[0]!.addresses, ['127.0.0.255']);
    assert.deepEqual([...c.debugFlags].sort(), ['EXIT', 'PRINT']);
    assert.equal(c.wideAreaNetwork, false);
    assert.equal(c.acceleratedRing, true);
    assert.deepEqual(c.timeouts, GUIDE_TIMEOUTS.local);
    assert.deepEqual(c.warnings, []);
  });

  test('config/spread.conf with its commented Figure 2.7 options turned on still parses', () => {
    const text = readFileSync(repoFile('config/spread.conf'), 'utf8')
      .split('\n')
      .map((l) => (/^#[A-Z]/.test(l) && !l.startsWith('#EventTimeStamp =') ? l.slice(1) : l))
      .join('\n');
    const c = parseConfig(text, 'spread.conf', { hostName: 'h1' });
    assert.equal(c.eventLogFile, '/var/log/spread/spread-h1.log');
    assert.equal(c.eventTimeStamp, '[%a %d %b %Y %H:%M:%S]');
    assert.equal(c.eventPreciseTimeStamp, true);
    assert.equal(c.timeouts.tokenMs, 5000);
  });
});

describe("the guide's example configurations", () => {
  test('Figure 2.4: one site, six machines, segment port 3333', () => {
    const c = parseConfig(
      `Spread_Segment  192.168.1.255:3333 {
         machine1   192.168.1.10
         machine2   192.168.1.11
         machine3   192.168.1.12
         machine4   192.168.1.13
         machine5   192.168.1.14
         machine6   192.168.1.15
       }`,
      'fig2.4',
    );
    assert.equal(c.daemons.length, 6);
    assert.ok(c.daemons.every((d) => d.port === 3333));
    assert.equal(c.daemons[5]!.name, 'machine6');
    assert.equal(c.daemons[5]!.line, 7);
    assert.equal(c.wideAreaNetwork, false);
  });

  test('Figures 2.5/2.6: several sites are several segments, in order, and wide-area by default', () => {
    const sites = ['49', '50', '51', '52']
      .map(
        (s, k) =>
          `Spread_Segment 128.32.${s}.255:3333 {\n` +
          [20, 21, 22, 23, 24, 25].map((h, i) => `  machine${'ABCD'[k]}${i + 1} 128.32.${s}.${h}\n`).join('') +
          '}\n',
      )
      .join('');
    const c = parseConfig(`DebugFlags = { PRINT EXIT }\nEventLogFile = testlog.out\n${sites}`, 'fig2.6');
    assert.equal(c.segments.length, 4);
    assert.equal(c.daemons.length, 24);
    assert.deepEqual(
      c.daemons.filter((d) => d.indexInSegment === 0).map((d) => [d.name, d.segmentIndex, d.order]),
      [
        ['machineA1', 0, 0],
        ['machineB1', 1, 6],
        ['machineC1', 2, 12],
        ['machineD1', 3, 18],
      ],
    );
    assert.equal(c.wideAreaNetwork, true);
    assert.equal(c.acceleratedRing, false);
    assert.deepEqual(c.timeouts, GUIDE_TIMEOUTS.wide);
    assert.equal(c.eventLogFile, 'testlog.out');
  });

  test('multi-segment with several segment addresses, VirtualIDs, interface blocks and semicolons', () => {
    const c = parseConfig(
      `# two segments
       Spread_Segment 225.0.1.1:4903 10.0.0.255 10.0.1.255 {
         a 10.0.0.1 VirtualID = 7 { 10.0.0.1 D 10.0.1.1 C M 192.168.0.1 };
         b 10.0.0.2 ;
         10.0.0.3
       }
       Spread_Segment 10.1.0.255 {
         c 10.1.0.1 { DC 0.0.0.0 }
         localhost
       }`,
      'multi',
    );
    assert.deepEqual(c.segments[0]!.addresses, ['225.0.1.1', '10.0.0.255', '10.0.1.255']);
    assert.equal(c.segments[0]!.port, 4903);
    assert.equal(c.segments[1]!.port, 4803);
    assert.deepEqual(
      c.daemons.map((d) => [d.name, d.address, d.port]),
      [
        ['a', '10.0.0.1', 4903],
        ['b', '10.0.0.2', 4903],
        ['10.0.0.3', '10.0.0.3', 4903],
        ['c', '10.1.0.1', 4803],
        ['localhost', '127.0.0.1', 4803],
      ],
    );
    assert.equal(c.daemons[0]!.id, 7);
    assert.equal(c.daemons[1]!.id, daemonIdFromName('b'));
    assert.deepEqual(
      c.daemons[0]!.interfaces.map((i) => [i.address, [...i.roles].sort().join('')]),
      [
        ['10.0.0.1', 'CDM'],
        ['10.0.1.1', 'D'],
        ['192.168.0.1', 'CM'],
      ],
    );
    assert.deepEqual([...c.daemons[3]!.interfaces[0]!.roles].sort(), ['C', 'D']);
    assert.deepEqual(c.daemons[1]!.interfaces, []);
  });

  test('a name followed by an address on the next line is one daemon; ";" splits them', () => {
    const one = parseConfig('Spread_Segment 10.0.0.255 {\n  localhost\n  10.0.0.2\n}', 't');
    assert.deepEqual(
      one.daemons.map((d) => [d.name, d.address]),
      [['localhost', '10.0.0.2']],
    );
    const two = parseConfig('Spread_Segment 10.0.0.255 {\n  localhost;\n  10.0.0.2\n}', 't');
    assert.deepEqual(
      two.daemons.map((d) => [d.name, d.address]),
      [
        ['localhost', '127.0.0.1'],
        ['10.0.0.2', '10.0.0.2'],
      ],
    );
  });

  test('one daemon per segment on distinct ports (design 2.6 layout 2)', () => {
    const c = parseConfig(
      `WideAreaNetwork = false
       Spread_Segment 127.0.0.255:4803 { n1 127.0.0.1 }
       Spread_Segment 127.0.0.255:4805 { n2 127.0.0.1 }
       Spread_Segment 127.0.0.255:4807 { n3 127.0.0.1 }`,
      't',
    );
    assert.deepEqual(
      c.daemons.map((d) => d.port),
      [4803, 4805, 4807],
    );
    assert.equal(c.wideAreaNetwork, false);
    assert.equal(c.acceleratedRing, true);
    assert.deepEqual(c.timeouts, GUIDE_TIMEOUTS.local);
  });
});

describe('addresses and ports', () => {
  test('segment port written with spaces around the colon', () => {
    for (const text of ['10.0.0.255 : 4900', '10.0.0.255 :4900', '10.0.0.255: 4900']) {
      const c = parseConfig(`Spread_Segment ${text} { a 10.0.0.1 }`, 't');
      assert.equal(c.segments[0]!.port, 4900, text);
    }
  });
  test('IPv6 configurations: [addr]:port, canonical addresses, names from addresses', () => {
    const c = parseConfig(
      `ActiveIPVersion = IPv6
       Spread_Segment [FF02::1:2]:4803 {
         a 2001:DB8::1
         fe80::2%lo
         localhost
       }`,
      't',
    );
    assert.equal(c.activeIpVersion, 'IPv6');
    assert.deepEqual(c.segments[0]!.addresses, ['ff02::1:2']);
    assert.deepEqual(
      c.daemons.map((d) => [d.name, d.address]),
      [
        ['a', '2001:db8::1'],
        ['fe80::2', 'fe80::2%lo'],
        ['localhost', '::1'],
      ],
    );
  });
  test('the same address may serve segments whose ports are at least 2 apart', () => {
    assert.doesNotThrow(() =>
      parseConfig('Spread_Segment 127.0.0.255:4803 { a 127.0.0.1 }\nSpread_Segment 127.0.0.255:4805 { b 127.0.0.1 }', 't'),
    );
  });
});

describe('the value is immutable', () => {
  test('arrays and daemon entries are frozen', () => {
    const c = parseConfig('Spread_Segment 127.0.0.255 { a 127.0.0.1 }', 't');
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.daemons));
    assert.ok(Object.isFrozen(c.daemons[0]));
    assert.ok(Object.isFrozen(c.segments[0]!.daemons));
  });
});
