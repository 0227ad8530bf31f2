// A Transport over a connected node:net socket (TCP or Unix). Received chunks queue here and the
// socket is paused while more than `readBufferBytesMax` wait, so a slow consumer pushes back on
// the daemon through the kernel buffers instead of growing memory.
import type { Socket } from 'node:net';
import type { Transport } from '../transport.ts';

export interface SocketTransportOptions {
  readonly description: string;
  /** Pause the socket while this many received bytes wait unread. */
  readonly readBufferBytesMax?: number;
}

const DEFAULT_READ_BUFFER_BYTES_MAX = 256 * 1024;
/** How long close() waits for the peer to close its side before destroying the socket. */
const CLOSE_GRACE_MS = 1000;

export class SocketTransport implements Transport {
  readonly description: string;
  readonly closed: Promise<void | Error>;
  private readonly chunks: Buffer[] = [];
  private chunksHead = 0;
  private buffered = 0;
  private ended = false;
  private error: Error | undefined;
  private reader: { resolve: (c: Buffer | null) => void; reject: (e: Error) => void } | undefined;
  private drainWaiters: Array<() => void> = [];
  private isClosed = false;
  private discardInput = false;
  private readonly readBufferBytesMax: number;

  constructor(
    private readonly socket: Socket,
    options: SocketTransportOptions,
  ) {
    this.description = options.description;
    this.readBufferBytesMax = options.readBufferBytesMax ?? DEFAULT_READ_BUFFER_BYTES_MAX;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => {
      this.error ??= err;
    });
    socket.on('drain', () => this.wakeDrainWaiters());
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.isClosed = true;
        this.onEnd();
        this.wakeDrainWaiters();
        resolve(this.error);
      });
    });
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  write(chunks: readonly Uint8Array[], onWritten?: (error?: Error) => void): boolean {
    const s = this.socket;
    if (this.isClosed || s.destroyed || s.writableEnded) {
      if (onWritten !== undefined) queueMicrotask(() => onWritten(this.error ?? new Error('socket closed')));
      return true;
    }
    const cb = onWritten === undefined ? undefined : (err?: Error | null): void => onWritten(err ?? undefined);
    if (chunks.length === 1) return s.write(chunks[0]!, cb);
    s.cork();
    const last = chunks.length - 1;
    for (let i = 0; i < last; i++) s.write(chunks[i]!);
    s.write(chunks[last]!, cb);
    s.uncork();
    return !s.writableNeedDrain;
  }

  drained(): Promise<void> {
    const s = this.socket;
    if (this.isClosed || s.destroyed || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  read(): Promise<Buffer | null> {
    if (this.reader !== undefined) return Promise.reject(new Error('concurrent read on a transport'));
    if (this.chunksHead < this.chunks.length) return Promise.resolve(this.take());
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.reader = { resolve, reject };
    });
  }

  close(): Promise<void> {
    if (this.isClosed) return this.closed.then(() => undefined);
    // Our FIN goes after the queued writes. Keep reading (and dropping) what still arrives, so
    // the peer's close is seen and the socket stays active until then; a peer that never closes
    // is cut off after a grace period.
    this.discardInput = true;
    this.chunks.length = 0;
    this.chunksHead = 0;
    this.buffered = 0;
    this.socket.resume();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    return this.closed.then(() => clearTimeout(timer));
  }

  destroy(error?: Error): void {
    if (error !== undefined) this.error ??= error;
    this.socket.destroy();
  }

  private take(): Buffer {
    const c = this.chunks[this.chunksHead]!;
    this.chunks[this.chunksHead++] = EMPTY;
    if (this.chunksHead === this.chunks.length) {
      this.chunks.length = 0;
      this.chunksHead = 0;
    }
    this.buffered -= c.length;
    if (this.socket.isPaused() && this.buffered <= this.readBufferBytesMax / 2 && !this.ended) this.socket.resume();
    return c;
  }

  private onData(chunk: Buffer): void {
    if (this.discardInput) return;
    const r = this.reader;
    if (r !== undefined) {
      this.reader = undefined;
      r.resolve(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > this.readBufferBytesMax) this.socket.pause();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    const r = this.reader;
    if (r === undefined) return;
    this.reader = undefined;
    if (this.error !== undefined) r.reject(this.error);
    else r.resolve(null);
  }

  private wakeDrainWaiters(): void {
    const ws = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of ws) w();
  }
}

const EMPTY = Buffer.alloc(0);
