// Our daemon, in process, for the client's end-to-end tests: one daemon bound to loopback only
// (client and daemon interfaces 127.0.0.1), an ephemeral TCP client port and a Unix socket in a
// fresh temp dir. The segment port is picked per process and per daemon so that no two share one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../../daemon/index.ts';

export function loopbackConfig(name: string, segmentPort: number): string {
  return `Spread_Segment 127.255.255.255:${segmentPort} {\n  ${name} 127.0.0.1 {\n    D 127.0.0.1\n    C 127.0.0.1\n  }\n}\n`;
}

export interface TestDaemon {
  readonly daemon: RunningDaemon;
  /** "port@127.0.0.1" */
  readonly tcpName: string;
  readonly unixPath: string;
  stop(): Promise<void>;
}

let started = 0;

export async function startRealDaemon(opts: { name?: string; maxSessionMessages?: number } = {}): Promise<TestDaemon> {
  const name = opts.name ?? 'sp1';
  const dir = mkdtempSync(join(tmpdir(), 'spread-client-e2e-'));
  const segmentPort = 20000 + (process.pid % 2000) * 16 + 2 * (started++ % 8);
  const daemon = await startDaemon({
    configText: loopbackConfig(name, segmentPort),
    procName: name,
    port: 0,
    unixSocketPath: join(dir, String(segmentPort)),
    maxSessionMessages: opts.maxSessionMessages,
  });
  return {
    daemon,
    tcpName: `${daemon.tcpPort}@127.0.0.1`,
    unixPath: daemon.unixSocketPath!,
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
