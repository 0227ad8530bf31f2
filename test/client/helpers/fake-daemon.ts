// A scripted daemon for client tests, on 127.0.0.1 port 0 (or a Unix socket in a temp dir): it
// speaks the handshake (or refuses it as told), records every byte the client sends, parses the
// client's frames, and lets the test feed canned frames back.
import { createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { FrameReader } from '../../../client/wire/framer.ts';
import type { MessageHeader } from '../../../client/wire/header.ts';
import { encodeAcceptReply, encodeAuthList, parseAuthChoice, parseConnectRequest, type Version } from '../../../client/wire/handshake.ts';

export interface ClientFrame {
  readonly bytes: Buffer;
  readonly header: MessageHeader;
}

export interface FakeSession {
  /** The parsed connect request. */
  readonly name: string;
  readonly membership: boolean;
  readonly priority: number;
  readonly version: Version;
  /** Methods named in the 90-byte choice. */
  readonly choice: readonly string[];
  readonly privateGroup: string;
  /** Every byte the client sent, handshake included, in arrival order. */
  readonly raw: Buffer[];
  /** Writes bytes to the client. */
  send(...chunks: Uint8Array[]): void;
  /** The next frame the client sent after the handshake; null at end of stream. */
  nextFrame(timeoutMs?: number): Promise<ClientFrame | null>;
  /** Bytes the client sent after the handshake, so far. */
  readonly afterHandshake: Buffer[];
  /** Closes our side (the client sees end of stream). */
  end(): void;
  destroy(): void;
  readonly socket: Socket;
}

export interface FakeDaemonOptions {
  /** Methods offered (default ['NULL']). */
  readonly authList?: readonly string[];
  /** Send this reject byte instead of the auth list. */
  readonly rejectBeforeList?: number;
  /** Send this reject byte instead of the accept reply. */
  readonly rejectAtAccept?: number;
  /** Version in the accept reply (default 5.0.1). */
  readonly daemonVersion?: Version;
  /** Daemon name for private groups (default 'sp1'). */
  readonly daemonName?: string;
  /** Bytes to append to the accept reply in the same write (messages arriving with it). */
  readonly afterAccept?: Buffer;
  /** Extra bytes the client must send after the choice before the accept (e.g. PWORD's 40). */
  readonly authExtraBytes?: number;
  /** Listen on a Unix socket at this path instead of TCP. */
  readonly unixPath?: string;
  /** Runs once per accepted session. */
  readonly script?: (session: FakeSession) => void | Promise<void>;
}

export interface FakeDaemon {
  readonly port: number;
  readonly path: string | undefined;
  readonly spreadName: string;
  readonly sessions: FakeSession[];
  /** Resolves with the next session that completes the handshake. */
  nextSession(): Promise<FakeSession>;
  close(): Promise<void>;
}

/** Reads from a socket into a growing buffer, with exact-length reads for the handshake. */
class SocketBytes {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  private ended = false;
  onData: ((chunk: Buffer) => void) | undefined;

  constructor(socket: Socket, raw: Buffer[]) {
    socket.on('data', (chunk: Buffer) => {
      raw.push(chunk);
      if (this.onData !== undefined) {
        this.onData(chunk);
        return;
      }
      this.buf = Buffer.concat([this.buf, chunk]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  async read(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (this.ended) return null;
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Switch to streaming: remaining and future bytes go to `fn`. */
  stream(fn: (chunk: Buffer) => void): void {
    this.onData = fn;
    if (this.buf.length > 0) fn(this.buf);
    this.buf = Buffer.alloc(0);
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

export async function startFakeDaemon(opts: FakeDaemonOptions = {}): Promise<FakeDaemon> {
  const sessions: FakeSession[] = [];
  const sessionWaiters: Array<(s: FakeSession) => void> = [];
  const pendingSessions: FakeSession[] = [];
  const sockets = new Set<Socket>();
  const daemonName = opts.daemonName ?? 'sp1';

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    void handle(socket);
  });

  async function handle(socket: Socket): Promise<void> {
    const raw: Buffer[] = [];
    const bytes = new SocketBytes(socket, raw);
    const head = await bytes.read(5);
    if (head === null) return;
    const n = head[4]!;
    const nameBytes = n === 0 ? Buffer.alloc(0) : await bytes.read(n);
    if (nameBytes === null) return;
    const req = parseConnectRequest(Buffer.concat([head, nameBytes]));
    if (req.kind !== 'ok') {
      if (req.kind === 'reject') socket.end(Buffer.from([req.code & 0xff]));
      return;
    }
    if (opts.rejectBeforeList !== undefined) {
      socket.end(Buffer.from([opts.rejectBeforeList & 0xff]));
      return;
    }
    socket.write(encodeAuthList(opts.authList ?? ['NULL']));
    const choiceBytes = await bytes.read(90);
    if (choiceBytes === null) return;
    if (opts.authExtraBytes !== undefined && (await bytes.read(opts.authExtraBytes)) === null) return;
    if (opts.rejectAtAccept !== undefined) {
      socket.end(Buffer.from([opts.rejectAtAccept & 0xff]));
      return;
    }
    const name = req.name === '' ? 'r1234-9' : req.name;
    const privateGroup = `#${name}#${daemonName}`;
    const accept = encodeAcceptReply(opts.daemonVersion ?? { major: 5, minor: 0, patch: 1 }, privateGroup, true);
    socket.write(opts.afterAccept === undefined ? accept : Buffer.concat([accept, opts.afterAccept]));

    const frames: Array<ClientFrame | null> = [];
    let frameWaiter: (() => void) | undefined;
    const afterHandshake: Buffer[] = [];
    const reader = new FrameReader(
      { maxGroups: 100, maxPayload: 1 << 20 },
      (b, header) => {
        frames.push({ bytes: Buffer.from(b), header });
        frameWaiter?.();
      },
      () => {
        frames.push(null);
        frameWaiter?.();
      },
    );
    socket.on('close', () => {
      frames.push(null);
      frameWaiter?.();
    });
    bytes.stream((chunk) => {
      afterHandshake.push(chunk);
      reader.push(chunk);
    });
    if (bytes.isEnded) frames.push(null);

    const session: FakeSession = {
      name,
      membership: req.membership,
      priority: req.priority,
      version: req.version,
      choice: parseAuthChoice(choiceBytes),
      privateGroup,
      raw,
      afterHandshake,
      socket,
      send: (...chunks) => {
        for (const c of chunks) socket.write(c);
      },
      nextFrame: async (timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        while (frames.length === 0) {
          const left = deadline - Date.now();
          if (left <= 0) throw new Error('fake daemon: timed out waiting for a client frame');
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, left);
            frameWaiter = () => {
              clearTimeout(t);
              resolve();
            };
          });
          frameWaiter = undefined;
        }
        const f = frames[0]!;
        if (f !== null) frames.shift();
        return f;
      },
      end: () => socket.end(),
      destroy: () => socket.destroy(),
    };
    sessions.push(session);
    const w = sessionWaiters.shift();
    if (w !== undefined) w(session);
    else pendingSessions.push(session);
    if (opts.script !== undefined) {
      try {
        await opts.script(session);
      } catch (err) {
        console.error('fake daemon script failed:', err);
        socket.destroy();
      }
    }
  }

  if (opts.unixPath !== undefined) server.listen(opts.unixPath);
  else server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    port,
    path: opts.unixPath,
    spreadName: opts.unixPath !== undefined ? '' : `${port}@127.0.0.1`,
    sessions,
    nextSession: () => {
      const s = pendingSessions.shift();
      if (s !== undefined) return Promise.resolve(s);
      return new Promise((resolve) => sessionWaiters.push(resolve));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
