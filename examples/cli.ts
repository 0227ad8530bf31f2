// Small pieces every example CLI shares: option parsers for commander and the way a tool dies
// (one clear line on stderr, non-zero exit).
import { InvalidArgumentError } from 'commander';

export function intArg(min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

export function listArg(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list');
  return items;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Prints "tool: message" on stderr and exits with `code` (writes to pipes and files are synchronous on Linux). */
export function die(tool: string, err: unknown, code = 1): never {
  process.stderr.write(`${tool}: ${messageOf(err)}\n`);
  process.exit(code);
}
