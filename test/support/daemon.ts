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

/** The three-daemons-on-one-host file C Spread runs unchanged (one segment, 127.0.0.1-3). */
export function threeDaemonConfig(port: number, ...options: string[]): string {
  return [
    `Spread_Segment 127.255.255.255:${port} {`,
    '  d1 127.0.0.1 { D 127.0.0.1 C 127.0.0.1 }',
    '  d2 127.0.0.2 { D 127.0.0.2 C 127.0.0.2 }',
    '  d3 127.0.0.3 { D 127.0.0.3 C 127.0.0.3 }',
    '}',
    ...options,
    '',
  ].join('\n');
}

/** Starts every daemon of `configText` in this process (ephemeral client ports, temp sockets). */
export async function startTestDaemons(configText: string, names: string[], extra: Partial<StartDaemonOptions> = {}): Promise<RunningDaemon[]> {
  const dir = mkdtempSync(join(tmpdir(), 'spread-test-'));
  return Promise.all(
    names.map((name) => startDaemon({ configText, procName: name, port: 0, unixSocketPath: join(dir, name), ...extra })),
  );
}
