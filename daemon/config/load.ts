// File-system side of the configuration: finding and reading spread.conf. The parsing itself is
// pure (parse.ts).
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { ConfigFileError } from './errors.ts';
import type { SpreadConfig } from './model.ts';
import { parseConfig } from './parse.ts';

export interface FindConfigOptions {
  /** Directory searched for ./spread.conf (default: the current directory). */
  readonly cwd?: string;
  /** Directory holding the system-wide spread.conf (default: /etc). */
  readonly etcDir?: string;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The configuration file to use: the -c path, else ./spread.conf, else /etc/spread.conf (the
 * guide's order; like Spread, a missing -c file falls back to the others). Throws ConfigFileError
 * naming every place looked at.
 */
export function findConfigFile(explicit?: string, opts: FindConfigOptions = {}): string {
  const cwd = opts.cwd ?? '.';
  const candidates = [
    ...(explicit !== undefined ? [explicit] : []),
    `${cwd.replace(/\/$/, '')}/spread.conf`,
    `${(opts.etcDir ?? '/etc').replace(/\/$/, '')}/spread.conf`,
  ];
  const found = candidates.find(isFile);
  if (found !== undefined) return found;
  throw new ConfigFileError(`no configuration file found; looked at: ${candidates.join(', ')}`, candidates);
}

export interface LoadOptions {
  /** For %h/%H in EventLogFile (default: this machine's host name). */
  readonly hostName?: string;
}

function cannotRead(path: string, err: unknown): ConfigFileError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigFileError(`cannot read configuration file ${path}: ${reason}`, [path], { cause: err });
}

function parseBytes(bytes: Buffer, path: string, opts: LoadOptions): SpreadConfig {
  // Invalid UTF-8 becomes U+FFFD, which the tokenizer reports with its line and column.
  return parseConfig(bytes.toString('utf8'), path, { hostName: opts.hostName ?? hostname() });
}

/** Reads and parses one file. Throws ConfigFileError when unreadable, ConfigError when bad. */
export async function loadConfig(path: string, opts: LoadOptions = {}): Promise<SpreadConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw cannotRead(path, err);
  }
  return parseBytes(bytes, path, opts);
}

/** Synchronous variant of loadConfig, for start-up code that cannot await. */
export function loadConfigSync(path: string, opts: LoadOptions = {}): SpreadConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw cannotRead(path, err);
  }
  return parseBytes(bytes, path, opts);
}
