import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  ConfigFileError,
  DaemonNotInConfigError,
  findConfigFile,
  findSelf,
  loadConfig,
  loadConfigSync,
  machineAddresses,
  parseConfig,
} from '../../../daemon/config/index.ts';

const THREE = 'Spread_Segment 127.255.255.255 { d1 127.0.0.1 d2 127.0.0.2 d3 127.0.0.3 }';

describe('findSelf', () => {
  const c = parseConfig(THREE, 'three.conf');
  test('by name (-n)', () => {
    assert.equal(findSelf(c, 'd2').name, 'd2');
    assert.equal(findSelf(c, 'd3', ['127.0.0.1']).name, 'd3');
  });
  test('an unknown name lists the configured ones', () => {
    assert.throws(
      () => findSelf(c, 'd9'),
      (err: unknown) =>
        err instanceof DaemonNotInConfigError &&
        err.name === 'DaemonNotInConfigError' &&
        /daemon 'd9' is not in three\.conf; configured daemons: d1, d2, d3/.test(err.message),
    );
  });
  test('without a name: the first daemon in configuration order with a local address', () => {
    assert.equal(findSelf(c, undefined, ['10.1.1.1', '127.0.0.3', '127.0.0.2']).name, 'd2');
    assert.equal(findSelf(c, undefined, ['127.0.0.3']).name, 'd3');
  });
  test('without a name and no matching address: a clear error suggesting -n', () => {
    assert.throws(() => findSelf(c, undefined, ['10.1.1.1']), /none of this machine's addresses \(10\.1\.1\.1\).*give the daemon's name with -n/);
    assert.throws(() => findSelf(c, undefined, []), /give its name with -n/);
  });
  test('IPv6 addresses compare in canonical form', () => {
    const v6 = parseConfig('Spread_Segment [ff02::1]:4803 { a 2001:db8::1 b 2001:db8::2 }', 't');
    assert.equal(findSelf(v6, undefined, ['2001:DB8:0:0:0:0:0:2']).name, 'b');
  });
  test('the machine has a loopback address, so a localhost daemon finds itself', () => {
    assert.ok(machineAddresses().includes('127.0.0.1'));
    const local = parseConfig('Spread_Segment 127.0.0.255 { localhost 127.0.0.1 }', 't');
    assert.equal(findSelf(local).name, 'localhost');
  });
});

describe('findConfigFile and loadConfig', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'spread-conf-'));
    mkdirSync(join(dir, 'cwd'));
    mkdirSync(join(dir, 'etc'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('order: -c path, then ./spread.conf, then <etc>/spread.conf; errors list every place', () => {
    const opts = { cwd: join(dir, 'cwd'), etcDir: join(dir, 'etc') };
    assert.throws(
      () => findConfigFile(join(dir, 'missing.conf'), opts),
      (err: unknown) =>
        err instanceof ConfigFileError &&
        err.paths.length === 3 &&
        err.message.includes(join(dir, 'missing.conf')) &&
        err.message.includes(join(dir, 'cwd', 'spread.conf')) &&
        err.message.includes(join(dir, 'etc', 'spread.conf')),
    );
    writeFileSync(join(dir, 'etc', 'spread.conf'), THREE);
    assert.equal(findConfigFile(undefined, opts), join(dir, 'etc', 'spread.conf'));
    writeFileSync(join(dir, 'cwd', 'spread.conf'), THREE);
    assert.equal(findConfigFile(undefined, opts), join(dir, 'cwd', 'spread.conf'));
    writeFileSync(join(dir, 'mine.conf'), THREE);
    assert.equal(findConfigFile(join(dir, 'mine.conf'), opts), join(dir, 'mine.conf'));
    // A directory is not a configuration file.
    assert.equal(findConfigFile(join(dir, 'etc'), opts), join(dir, 'cwd', 'spread.conf'));
  });

  test('loadConfig reads, parses and fills %h with this host name by default', async () => {
    const path = join(dir, 'log.conf');
    writeFileSync(path, `EventLogFile = /tmp/spread-%h.log\n${THREE}\n`);
    const c = await loadConfig(path);
    assert.equal(c.source, path);
    assert.equal(c.daemons.length, 3);
    assert.equal(c.eventLogFile, `/tmp/spread-${hostname()}.log`);
    assert.equal((await loadConfig(path, { hostName: 'hx' })).eventLogFile, '/tmp/spread-hx.log');
    assert.equal(loadConfigSync(path, { hostName: 'hy' }).eventLogFile, '/tmp/spread-hy.log');
  });

  test('a file with bytes that are not UTF-8 fails with their line and column', async () => {
    const path = join(dir, 'garbage.conf');
    writeFileSync(path, Buffer.concat([Buffer.from('Spread_Segment 10.0.0.255 {\n  a 10.0.0.1 '), Buffer.from([0xff, 0xfe]), Buffer.from('\n}\n')]));
    await assert.rejects(loadConfig(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.file, path);
      assert.deepEqual([err.line, err.column], [2, 14]);
      assert.match(err.message, /not UTF-8/);
      return true;
    });
  });

  test('an unreadable file is a ConfigFileError', async () => {
    await assert.rejects(loadConfig(join(dir, 'nope.conf')), (err: unknown) => err instanceof ConfigFileError && /cannot read configuration file/.test(err.message));
    assert.throws(() => loadConfigSync(join(dir, 'nope.conf')), ConfigFileError);
  });
});
