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

/** Waits until every daemon is in OP in one ring of `size` daemons and its groups are settled. */
export async function waitForRing(daemons: RunningDaemon[], size: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = daemons.map((d) => d.node.ring!.status());
    const ok =
      st.every((s) => s.state === 'OP' && s.members.length === size && s.ringId.procId === st[0]!.ringId.procId && s.ringId.time === st[0]!.ringId.time) &&
      daemons.every((d) => d.node.groups.state === 'GOP');
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no ring of ${size}: ${JSON.stringify(st.map((s) => ({ state: s.state, members: s.members, ringId: s.ringId })))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The guide's one-segment timeouts divided by ten (lookup by sixty), for fault tests. */
export const FAST_TIMEOUTS = [
  'TokenTimeout = 500',
  'HurryTimeout = 200',
  'AliveTimeout = 100',
  'JoinTimeout = 100',
  'RepTimeout = 250',
  'SegTimeout = 200',
  'GatherTimeout = 500',
  'FormTimeout = 500',
  'LookupTimeout = 1000',
];
