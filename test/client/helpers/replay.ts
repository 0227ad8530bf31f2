// A byte-exact replay peer: plays the daemon side of a transcript, checking every byte the client
// sends against the expected bytes and sending the daemon's bytes verbatim.
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export type ReplayStep =
  | { readonly label: string; readonly expect: Buffer; readonly thenQuietMs?: number }
  | { readonly label: string; readonly send: Buffer }
  | { readonly label: string; readonly expectEnd: true };

export interface ReplayResult {
  /** One entry per failed step, e.g. 'Step 5: got 80 00 ... expected ...'. */
  readonly problems: string[];
}

const hex = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

async function play(socket: Socket, steps: readonly ReplayStep[]): Promise<ReplayResult> {
  const problems: string[] = [];
  let buf = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    wake?.();
  });
  socket.on('close', () => {
    ended = true;
    wake?.();
  });
  socket.on('error', () => {});
  const waitFor = async (pred: () => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = undefined;
    }
    return true;
  };
  for (const step of steps) {
    if ('send' in step) {
      socket.write(step.send);
      continue;
    }
    if ('expectEnd' in step) {
      if (!(await waitFor(() => ended, 3000))) problems.push(`${step.label}: connection not closed by the client`);
      else if (buf.length > 0) problems.push(`${step.label}: unexpected trailing bytes ${hex(buf)}`);
      continue;
    }
    const n = step.expect.length;
    if (!(await waitFor(() => buf.length >= n || ended, 3000))) {
      problems.push(`${step.label}: timed out with ${buf.length}/${n} bytes`);
      break;
    }
    const got = buf.subarray(0, Math.min(n, buf.length));
    buf = buf.subarray(got.length);
    if (!got.equals(step.expect)) {
      problems.push(`${step.label}:\n  got      ${hex(got)}\n  expected ${hex(step.expect)}`);
      break;
    }
    if (step.thenQuietMs !== undefined) {
      await new Promise((r) => setTimeout(r, step.thenQuietMs));
      if (buf.length > 0) problems.push(`${step.label}: client sent ${buf.length} more bytes before the reply: ${hex(buf)}`);
    }
  }
  return { problems };
}

export interface ReplayServer {
  readonly port: number;
  /** Result of the next accepted connection's replay. */
  result(): Promise<ReplayResult>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and replays `steps` on the first connection. */
export async function startReplay(steps: readonly ReplayStep[]): Promise<ReplayServer> {
  let resolveResult: (r: ReplayResult) => void = () => {};
  const resultP = new Promise<ReplayResult>((r) => (resolveResult = r));
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    void play(socket, steps).then(resolveResult);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    result: () => resultP,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
