// Helpers for RSM/KV tests on real daemons: temp dirs, replica sets, event-driven waits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combineLatest, filter, firstValueFrom, timeout } from 'rxjs';
import type { RsmStatus } from '../../../replication/rsm/index.ts';

export function tempDir(prefix = 'rsm-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface HasStatus {
  readonly status$: import('rxjs').Observable<RsmStatus>;
}

/** Resolves when `pred` holds over the latest statuses of all replicas. */
export function waitStatuses(rs: readonly HasStatus[], pred: (s: readonly RsmStatus[]) => boolean, ms = 20_000): Promise<readonly RsmStatus[]> {
  return firstValueFrom(combineLatest(rs.map((r) => r.status$)).pipe(filter(pred), timeout(ms)));
}

/** Every replica primary, caught up, at the same applied index with the same digest. */
export function converged(s: readonly RsmStatus[]): boolean {
  return s.every((x) => x.mode === 'primary' && !x.catchingUp && x.appliedIndex === s[0]!.appliedIndex && x.digest === s[0]!.digest);
}
