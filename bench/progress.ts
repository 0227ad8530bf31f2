// Progress lines of the benchmarks go to stderr so that stdout stays one JSON document.
export function progress(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}
