// The monitor's pure helpers: vectors it sends and what it makes of typed answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../daemon/config/index.ts';
import { flowControlFor, formatAcks, formatFlowControl, parseNumber, parseWindows, pickDaemons, terminateCells } from '../../../daemon/monitor/commands.ts';

const config = parseConfig('Spread_Segment 127.255.255.255:23700 {\n a 127.0.0.1\n b 127.0.0.2\n}\nSpread_Segment 127.255.255.255:23702 {\n c 127.0.0.3\n}\n', '<t>');

test('terminate keeps the partition in force for the daemons that stay', () => {
  assert.deepEqual(terminateCells(config, new Set(['b']), [0, 0, 1]), [0, -1, 1]);
  assert.deepEqual(terminateCells(config, new Set(['a', 'c']), []), [-1, 0, -1]);
});

test('flow control: the window for all, the personal window for the daemons named', () => {
  assert.deepEqual(flowControlFor(config, 100, 10, -1, ['c']), { window: 100, perDaemon: [[-1, -1], [-1, -1], [10, -1]] });
  assert.deepEqual(flowControlFor(config, -1, 5, 3).perDaemon, [[5, 3], [5, 3], [5, 3]]);
  assert.throws(() => pickDaemons(config, ['zz']), /no daemon 'zz'/);
  assert.match(formatFlowControl(config, flowControlFor(config, 100, 10, 4, ['a'])), /Window size: {2}100\n\n\ta\t10\/4\n\tb\tunchanged\n\n\tc\tunchanged\n/);
});

test('typed answers: numbers, P or P/A, empty for unchanged', () => {
  assert.equal(parseNumber(' 12 '), 12);
  assert.equal(parseNumber('1x'), undefined);
  assert.deepEqual(parseWindows(''), [-1, -1]);
  assert.deepEqual(parseWindows('7'), [7, -1]);
  assert.deepEqual(parseWindows('7 / 3'), [7, 3]);
  assert.equal(parseWindows('seven'), undefined);
});

test('acknowledgements: accepted, REFUSED with the reason, or no answer', () => {
  const acks = new Map([['a', { accepted: true, reason: 'partition applied' }], ['b', { accepted: false, reason: 'DangerousMonitor is off' }]]);
  assert.deepEqual(formatAcks(acks, [...config.daemons]), {
    lines: ['a: accepted (partition applied)', 'b: REFUSED (DangerousMonitor is off)', 'c: no answer'],
    ok: false,
  });
  assert.equal(formatAcks(acks, [config.daemons[0]!]).ok, true);
});
