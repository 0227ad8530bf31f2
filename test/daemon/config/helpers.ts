// Shared by the config tests: a minimal valid segment, and catching the ConfigError of a text.
import assert from 'node:assert/strict';
import { ConfigError, parseConfig, type ParseOptions, type SpreadConfig } from '../../../daemon/config/index.ts';

export const SEGMENT = 'Spread_Segment 127.0.0.255:4803 {\n  d1 127.0.0.1\n}\n';

/** Parses `options` followed by a one-daemon segment. */
export function withOptions(options: string, opts?: ParseOptions): SpreadConfig {
  return parseConfig(`${options}\n${SEGMENT}`, 'spread.conf', opts);
}

/** The ConfigError that parsing `text` throws (fails the test when it parses). */
export function configErrorOf(text: string, source = 'spread.conf'): ConfigError {
  try {
    parseConfig(text, source);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    return err;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}
