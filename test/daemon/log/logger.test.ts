import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBUG_CATEGORIES, parseConfig, type DebugCategory } from '../../../daemon/config/index.ts';
import { FileSink, Logger, memoryLogger, MemorySink, openLogger } from '../../../daemon/log/index.ts';

const T = new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 42));
const clock = (): Date => T;

describe('categories', () => {
  test('lines appear under exactly the enabled categories; PRINT and EXIT always', () => {
    const enabled = new Set<DebugCategory>(['MEMBERSHIP', 'GROUPS']);
    const { logger, sink } = memoryLogger({ categories: enabled, now: clock });
    for (const c of DEBUG_CATEGORIES) logger.info(c, `line ${c}`);
    assert.deepEqual(
      sink.lines,
      DEBUG_CATEGORIES.filter((c) => enabled.has(c) || c === 'PRINT' || c === 'EXIT').map((c) => `line ${c}`),
    );
  });

  test("the config's DebugFlags decide: { ALL !DATA_LINK }", () => {
    const config = parseConfig('DebugFlags = { ALL !DATA_LINK }\nSpread_Segment 127.0.0.255 { a 127.0.0.1 }', 't');
    const sink = new MemorySink();
    const logger = openLogger(config, { sink, now: clock });
    assert.equal(logger.enabled('DATA_LINK'), false);
    assert.equal(logger.enabled('PROTOCOL'), true);
    logger.info('DATA_LINK', 'sent a datagram');
    logger.info('PROTOCOL', 'token');
    assert.deepEqual(sink.lines, ['token']);
  });

  test('a disabled category builds no string: fields are not even read', () => {
    const { logger, sink } = memoryLogger({ categories: ['PRINT'] });
    let read = false;
    const fields = {
      get seq(): number {
        read = true;
        return 1;
      },
    };
    logger.debug('PROTOCOL', 'x', fields);
    assert.equal(read, false);
    assert.equal(sink.lines.length, 0);
  });

  test('reconfigure swaps the categories and level at run time', () => {
    const { logger, sink } = memoryLogger({ now: clock });
    logger.info('SESSION', 'a');
    logger.reconfigure({ categories: ['SESSION'], minLevel: 'WARNING' });
    logger.info('SESSION', 'b');
    logger.warn('SESSION', 'c');
    assert.deepEqual(sink.lines, ['c']);
  });

  test('silent drops everything', () => {
    const { logger, sink } = memoryLogger({ silent: true });
    logger.print('hello');
    logger.fatal('EXIT', 'bye');
    assert.equal(logger.enabled('PRINT'), false);
    assert.deepEqual(sink.lines, []);
  });
});

describe('levels (EventPriority)', () => {
  test('below the minimum is dropped; FATAL always; PRINT level always passes', () => {
    const { logger, sink } = memoryLogger({ categories: ['GROUPS'], minLevel: 'ERROR' });
    logger.debug('GROUPS', 'debug');
    logger.info('GROUPS', 'info');
    logger.warn('GROUPS', 'warn');
    logger.error('GROUPS', 'error');
    logger.critical('GROUPS', 'critical');
    logger.fatal('MEMORY', 'fatal in a disabled category');
    logger.print('printed');
    assert.deepEqual(sink.lines, ['error', 'critical', 'fatal in a disabled category', 'printed']);
  });
  test('pDEBUG minimum shows debug lines', () => {
    const { logger, sink } = memoryLogger({ categories: ['GROUPS'], minLevel: 'pDEBUG' });
    logger.debug('GROUPS', 'd');
    assert.deepEqual(sink.lines, ['d']);
    assert.equal(logger.wouldLog('GROUPS', 'pDEBUG'), true);
    assert.equal(logger.wouldLog('MEMORY', 'CRITICAL'), false);
  });
});

describe('text format', () => {
  test('time stamp prefix from the strftime format and a fixed clock', () => {
    const { logger, sink } = memoryLogger({ timeStamp: '[%a %d %b %Y %H:%M:%S]', utc: true, now: clock });
    logger.print('Spread daemon starting');
    assert.deepEqual(sink.lines, ['[Tue 05 Mar 2024 14:07:09] Spread daemon starting']);
  });
  test('precise time stamps carry microseconds', () => {
    const { logger, sink } = memoryLogger({ timeStamp: '%H:%M:%S', preciseTimeStamp: true, utc: true, now: clock });
    logger.print('x');
    assert.deepEqual(sink.lines, ['14:07:09.042000 x']);
  });
  test('fields follow as key=value, quoting what needs it', () => {
    const { logger, sink } = memoryLogger({ now: clock });
    logger.print('token', { seq: 12, aru: 10n, ring: 'r1', note: 'two words', ok: true, ids: [1, 2], none: undefined });
    assert.deepEqual(sink.lines, ['token seq=12 aru=10 ring=r1 note="two words" ok=true ids=[1,2] none=undefined']);
  });
  test('verbose puts the category and level first', () => {
    const { logger, sink } = memoryLogger({ categories: ['MEMBERSHIP'], verbose: true, timeStamp: '%T', utc: true, now: clock });
    logger.info('MEMBERSHIP', 'gather');
    assert.deepEqual(sink.lines, ['14:07:09 MEMBERSHIP INFO: gather']);
  });
  test('no time stamp when EventTimeStamp is off', () => {
    const { logger, sink } = memoryLogger({ now: clock });
    logger.print('plain');
    assert.deepEqual(sink.lines, ['plain']);
  });
});

describe('JSON format', () => {
  test('one object per line with time, category, level, message and fields', () => {
    const { logger, sink } = memoryLogger({ format: 'json', categories: ['SESSION'], timeStamp: '%T', now: clock });
    logger.warn('SESSION', 'slow client "x"\nkilled', { session: 7, err: new Error('boom'), set: new Set([1]) });
    logger.print('up');
    assert.equal(sink.lines.length, 2);
    const [a, b] = sink.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(a, {
      time: '2024-03-05T14:07:09.042Z',
      category: 'SESSION',
      level: 'WARNING',
      message: 'slow client "x"\nkilled',
      fields: { session: 7, err: { name: 'Error', message: 'boom' }, set: [1] },
    });
    assert.deepEqual(b, { time: '2024-03-05T14:07:09.042Z', category: 'PRINT', level: 'PRINT', message: 'up' });
    assert.ok(!sink.lines[0]!.includes('\n'));
  });
  test('fields that cannot be serialized do not lose the line', () => {
    const { logger, sink } = memoryLogger({ format: 'json', now: clock });
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    logger.print('cyclic', { loop });
    assert.equal((JSON.parse(sink.lines[0]!) as { fields: unknown }).fields, '[unserializable]');
  });
});

describe('file output', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spread-log-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('EventLogFile is appended to, opened once; close() keeps every line', async () => {
    const path = join(dir, 'sub', 'spread.log');
    const first = new Logger({ file: path, now: clock });
    first.print('one');
    first.print('two');
    await first.close();
    first.print('after close is dropped');
    const config = parseConfig(`EventLogFile = ${path}\nSpread_Segment 127.0.0.255 { a 127.0.0.1 }`, 't');
    const second = openLogger(config, { format: 'json', now: clock });
    second.print('three');
    await second.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.deepEqual(lines.slice(0, 2), ['one', 'two']);
    assert.equal((JSON.parse(lines[2]!) as { message: string }).message, 'three');
    assert.equal(lines[3], '');
    assert.equal(lines.length, 4);
  });

  test('FileSink writes synchronously: lines are on disk before close', () => {
    const path = join(dir, 'sync.log');
    const sink = new FileSink(path);
    sink.write('now');
    assert.equal(readFileSync(path, 'utf8'), 'now\n');
    void sink.close();
  });
});
