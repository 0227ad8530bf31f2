// Terminal plumbing shared by spuser and spflooder: stdin read the way C's fgets reads it (so
// piped scripts split lines exactly as with the reference tools), and stdout written in order
// and flushed before exit.
import { CommanderError, type Command } from 'commander';
import type { Readable, Writable } from 'node:stream';

/** Reads a byte stream with fgets(buf, size) semantics. */
export class FgetsReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  private waiters: Array<() => void> = [];

  constructor(input: Readable) {
    input.on('data', (chunk: Buffer | string) => {
      this.buf = Buffer.concat([this.buf, typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk]);
      this.wake();
    });
    input.on('end', () => {
      this.ended = true;
      this.wake();
    });
    input.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** True when fgets(size) would return without waiting. */
  get lineReady(): boolean {
    return this.ended || this.buf.includes(0x0a);
  }

  /** Resolves when a line (or end of input) is ready. */
  waitLine(signal?: AbortSignal): Promise<void> {
    if (this.lineReady) return Promise.resolve();
    return new Promise((resolve) => {
      const w = (): void => {
        if (!this.lineReady) return;
        signal?.removeEventListener('abort', onAbort);
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  /**
   * Up to size-1 bytes, stopping after a newline (kept); null at end of input with nothing read.
   * Like fgets, a longer line is returned in pieces.
   */
  async fgets(size: number): Promise<Buffer | null> {
    const max = size - 1;
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0 && nl < max) return this.take(nl + 1);
      if (this.buf.length >= max) return this.take(max);
      if (this.ended) return this.buf.length === 0 ? null : this.take(this.buf.length);
      await new Promise<void>((resolve) => {
        const w = (): void => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        };
        this.waiters.push(w);
      });
    }
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Writes text (latin1, byte for byte) or bytes to stdout, as printf would. */
export class Printer {
  constructor(private readonly out: Writable = process.stdout) {}

  print(text: string | Uint8Array): void {
    this.out.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }

  /** Flushes stdout, then exits with `code`. */
  exit(code: number): Promise<never> {
    return new Promise<never>(() => {
      this.out.write('', () => process.exit(code));
    });
  }
}

/** C's `sscanf(s, "%s%s...")` over at most `max` words: whitespace-separated tokens. */
export function scanWords(text: string, max: number): string[] {
  return text
    .split(/[ \t\n\v\f\r]+/)
    .filter((w) => w.length > 0)
    .slice(0, max);
}

/** C's `sscanf(s, "%u")`: leading blanks, optional sign, digits; undefined when nothing parses. */
export function scanUnsigned(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(text);
  if (m === null) return undefined;
  const v = Number(m[2]) % 2 ** 32;
  return m[1] === '-' ? (2 ** 32 - v) % 2 ** 32 : v;
}

/** Bytes of `buf` before the first NUL (what printf("%s") shows of a C buffer). */
export function cString(buf: Uint8Array): Uint8Array {
  const i = buf.indexOf(0);
  return i < 0 ? buf : buf.subarray(0, i);
}

/** printf("%6d"). */
export function padLeft(n: number, width: number): string {
  return String(n).padStart(width, ' ');
}

/**
 * Parses a tool's flags the way both CLIs want: no stray arguments, help and errors through the
 * printer and stderr, and commander's exit codes (0 for --help, non-zero for bad flags).
 */
export function parseCliFlags<T extends object>(program: Command, argv: readonly string[], printer: Printer): T {
  program
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => printer.print(s),
      writeErr: (s) => process.stderr.write(s),
    });
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
  return program.opts<T>();
}
