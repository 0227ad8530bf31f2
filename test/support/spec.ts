// Where the project's shared documents are: beside the repository (`../shared`), as on the
// developers' machines and in CI; SPREAD_SHARED_DIR overrides.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = new URL('../..', import.meta.url).pathname;

export function sharedPath(...parts: string[]): string {
  const dir = process.env.SPREAD_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
  const path = join(dir, ...parts);
  if (!existsSync(path)) throw new Error(`${path} not found: the shared documents must sit beside the repository (or set SPREAD_SHARED_DIR)`);
  return path;
}
