// Starts in-process daemons on loopback for tests: ephemeral TCP port, Unix socket in a temp dir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon, type StartDaemonOptions } from '../../daemon/index.ts';

export function oneDaemonConfig(name = 'sp1'): string {
  return `Spread_Segment 127.255.255.255:4803 {\n  ${name} 127.0.0.1\n}\n`;
}

export async function startTestDaemon(
  extra: Partial<StartDaemonOptions> & { name?: string } = {},
): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'spread-test-'));
  const name = extra.name ?? 'sp1';
  return startDaemon({
    configText: extra.configText ?? oneDaemonConfig(name),
    procName: name,
    port: 0,
    unixSocketPath: join(dir, '4803'),
    ...extra,
  });
}
