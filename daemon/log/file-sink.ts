// Sinks over the file system and standard output (adapters).
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import type { LineSink } from './sink.ts';

/**
 * Appends to a file, opened once. Each line is one synchronous write, so nothing is lost when
 * the process exits abruptly, and lines of several daemons sharing a file do not interleave.
 */
export class FileSink implements LineSink {
  private fd: number | undefined;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  write(line: string): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${line}\n`);
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

/** Writes to a stream such as process.stdout; close() waits for it to drain but does not end it. */
export class StreamSink implements LineSink {
  constructor(private readonly stream: Writable) {}

  write(line: string): void {
    this.stream.write(`${line}\n`);
  }

  close(): Promise<void> {
    if (!this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('drain', () => resolve()));
  }
}
