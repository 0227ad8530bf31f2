// The C ping client (bench/c/spping.c), built with the machine's C compiler for the round-trip
// rows: the reference measured C Spread with a small C client, so this client measures our daemon
// the same way, beside the rows taken with our Node client.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { progress } from './progress.ts';

/** Compiles spping.c; the binary's path, or undefined (with the reason shown) when no compiler works. */
export function buildCPingClient(root: string): string | undefined {
  const out = join(mkdtempSync(join(tmpdir(), 'spread-bench-c-')), 'spping');
  for (const cc of [process.env.CC ?? 'cc', 'gcc', 'clang']) {
    const r = spawnSync(cc, ['-O2', '-o', out, join(root, 'bench/c/spping.c')], { encoding: 'utf8' });
    if (r.status === 0) return out;
    if (r.error === undefined) {
      progress(`${cc} could not build bench/c/spping.c, round trips with the C client are skipped:\n${r.stderr}`);
      return undefined;
    }
  }
  progress('no C compiler (cc, gcc, clang): round trips with the C client are skipped');
  return undefined;
}
