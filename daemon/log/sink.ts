// Where log lines go. A sink receives whole lines without their newline.

export interface LineSink {
  write(line: string): void;
  /** Resolves once every line written so far is out (flushed or handed to the OS). */
  close(): Promise<void>;
}

/** Keeps the lines in memory: for tests. */
export class MemorySink implements LineSink {
  readonly lines: string[] = [];
  closed = false;

  write(line: string): void {
    this.lines.push(line);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Every line, each followed by a newline, as a file would hold them. */
  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  clear(): void {
    this.lines.length = 0;
  }
}
