// The connection core shared by the C-style API (sp.ts) and the class API (api/): one reader that
// turns the byte stream into frames, and one outbound queue in which every message is a whole
// unit, so concurrent sends never interleave.
//
// Outbound batching: small messages (header, slots and body) are written straight into a shared
// slab buffer, with no allocation per message, and everything queued in one turn of the event
// loop goes to the socket as one batch (setImmediate), or earlier once FLUSH_BYTES are waiting.
// A large body is written by reference, never copied, and its send resolves once the kernel has
// it, so callers may reuse their buffer as C callers do. When the socket pushes back, sends wait
// for 'drain'.
//
// Inbound: frames queue until consumed; past `inboundBytesMax` the reader stops reading, so the
// kernel buffers fill and the daemon sees a slow reader, as with libspread.
import type { SpreadAddress } from './address.ts';
import { NULL_AUTH, type AuthMethod } from './auth.ts';
import { AbortError, ConnectionClosedError, IllegalSpreadError, ProtocolError, SpreadError, TimeoutError } from './errors.ts';
import { performHandshake } from './handshake.ts';
import type { Transport, TransportFactory } from './transport.ts';
import { nodeTransportFactory, tlsTransportFactory, type TlsClientOptions } from './transports/index.ts';
import { COULD_NOT_CONNECT, HEADER_BYTES, KILL_MESS, SPREAD_VERSION } from './wire/constants.ts';
import { FrameReader } from './wire/framer.ts';
import type { Version } from './wire/handshake.ts';
import type { MessageHeader } from './wire/header.ts';
import { writeMessageHead } from './wire/message.ts';

export interface ConnectionOptions {
  readonly address: SpreadAddress;
  /** 0..10 bytes; '' lets the daemon choose one. */
  readonly privateName: string;
  /** Ask for membership messages (connect flag bit 0). */
  readonly membership: boolean;
  readonly priority: boolean;
  /** Methods to choose, in order (default: NULL). */
  readonly authMethods?: readonly AuthMethod[];
  readonly signal?: AbortSignal;
  /** Bound on socket connect plus handshake. */
  readonly timeoutMs?: number;
  readonly transportFactory?: TransportFactory;
  /** Connect over TLS to the daemon's TLS port (not with transportFactory, which replaces it). */
  readonly tls?: TlsClientOptions;
  /** Version announced in the connect request (default 5.0.1). */
  readonly version?: Version;
  /** Received bytes held unconsumed before reading stops (default 1 MiB: close to what libspread holds in kernel buffers, so a slow reader shows up at the daemon as with the reference). */
  readonly inboundBytesMax?: number;
}

export interface ReceivedFrame {
  /** The whole message: header, reject old_type, slots, body. A view: valid as long as referenced. */
  readonly bytes: Buffer;
  readonly header: MessageHeader;
}

const SLAB_BYTES = 64 * 1024;
/** Bodies up to this size are copied into the slab (cheaper than an extra iovec); larger ones are referenced. */
const INLINE_BODY_BYTES_MAX = 2048;
/** Flush at once when this much waits, instead of at the end of the turn. */
const FLUSH_BYTES = 64 * 1024;
const DEFAULT_INBOUND_BYTES_MAX = 1024 * 1024;
/** Frames from a daemon are bounded by what a daemon can hold (memberships can be large). */
const INBOUND_LIMITS = { maxGroups: 1 << 20, maxPayload: 256 * 1024 * 1024 };
const RESOLVED: Promise<void> = Promise.resolve();

interface FrameWaiter {
  resolve: () => void;
  reject: (e: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class Connection {
  readonly privateGroup: string;
  readonly daemonVersion: Version;
  readonly membership: boolean;
  readonly transportDescription: string;
  /** Resolves once the socket is closed: void after disconnect()/kill(), otherwise the reason. */
  readonly closed: Promise<void | Error>;

  private readonly transport: Transport;
  private readonly reader: FrameReader;
  private readonly inboundBytesMax: number;

  // Inbound queue (array with a moving head, compacted when empty).
  private frames: Array<ReceivedFrame | undefined> = [];
  private framesHead = 0;
  private queuedBytes = 0;
  private inboundEnd: SpreadError | undefined;
  private frameWaiters: FrameWaiter[] = [];
  private spaceWaiter: (() => void) | undefined;

  // Outbound batching.
  private slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  private slabStart = 0;
  private slabPos = 0;
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private flushScheduled: NodeJS.Immediate | undefined;
  private drainPromise: Promise<void> | undefined;
  private readonly flushNow = (): void => this.flush();
  /** After waiting for 'drain': if the socket closed instead, what waited was not written. */
  private readonly checkStillOpen = (): void => {
    if (!this.isOpen) throw this.notOpenError();
  };

  private closedLocally = false;
  private failure: SpreadError | undefined;

  /** Connects and performs the handshake; rejects with a SpreadError subclass. */
  static async open(o: ConnectionOptions): Promise<Connection> {
    const ac = new AbortController();
    let why: 'abort' | 'timeout' | undefined;
    const onAbort = (): void => {
      why ??= 'abort';
      ac.abort();
    };
    if (o.signal?.aborted === true) throw new AbortError('connect aborted', COULD_NOT_CONNECT, { cause: o.signal.reason });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      o.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            why ??= 'timeout';
            ac.abort();
          }, o.timeoutMs);
    if (o.tls !== undefined && o.transportFactory !== undefined) throw new IllegalSpreadError('give tls or transportFactory, not both');
    const factory = o.transportFactory ?? (o.tls !== undefined ? tlsTransportFactory(o.tls) : nodeTransportFactory);
    let transport: Transport | undefined;
    const onCancel = (): void => transport?.destroy();
    ac.signal.addEventListener('abort', onCancel, { once: true });
    try {
      transport = await factory(o.address, { signal: ac.signal });
      if (ac.signal.aborted) transport.destroy();
      const hs = await performHandshake(transport, {
        version: o.version ?? SPREAD_VERSION,
        privateName: o.privateName,
        membership: o.membership,
        priority: o.priority,
        authMethods: o.authMethods ?? [NULL_AUTH],
      });
      if (ac.signal.aborted) throw new ConnectionClosedError('cancelled');
      return new Connection(transport, hs.privateGroup, hs.daemonVersion, hs.leftover, o);
    } catch (err) {
      transport?.destroy();
      if (why === 'timeout') throw new TimeoutError(`connect timed out after ${o.timeoutMs} ms`, COULD_NOT_CONNECT, { cause: err });
      if (why === 'abort') throw new AbortError('connect aborted', COULD_NOT_CONNECT, { cause: o.signal?.reason });
      if (err instanceof SpreadError) throw err;
      throw new ConnectionClosedError(`handshake failed: ${String(err)}`, { cause: err });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      ac.signal.removeEventListener('abort', onCancel);
    }
  }

  private constructor(transport: Transport, privateGroup: string, daemonVersion: Version, leftover: Buffer | undefined, o: ConnectionOptions) {
    this.transport = transport;
    this.privateGroup = privateGroup;
    this.daemonVersion = daemonVersion;
    this.membership = o.membership;
    this.transportDescription = transport.description;
    this.inboundBytesMax = o.inboundBytesMax ?? DEFAULT_INBOUND_BYTES_MAX;
    this.reader = new FrameReader(
      INBOUND_LIMITS,
      (bytes, header) => this.onFrame(bytes, header),
      (reason) => this.fail(new ProtocolError(reason)),
    );
    this.closed = transport.closed.then((err) => {
      if (this.flushScheduled !== undefined) clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
      this.endInbound(
        this.closedLocally
          ? new ConnectionClosedError('connection closed')
          : new ConnectionClosedError(err === undefined ? 'connection closed by the daemon' : `connection lost: ${err.message}`, { cause: err }),
      );
      if (this.closedLocally) return undefined;
      this.failure ??= this.inboundEnd;
      return this.failure;
    });
    if (leftover !== undefined) this.reader.push(leftover);
    void this.pump();
  }

  // ---- state ----

  /** False once the connection can no longer send (closed by either side, or failed). */
  get isOpen(): boolean {
    return !this.closedLocally && this.failure === undefined && this.inboundEnd === undefined;
  }

  /** Why the connection failed (undefined while healthy or after a local close). */
  get failureReason(): SpreadError | undefined {
    return this.failure;
  }

  // ---- inbound ----

  /** The next frame without consuming it. */
  peekFrame(): ReceivedFrame | undefined {
    return this.frames[this.framesHead];
  }

  /** Consumes the next frame. */
  shiftFrame(): ReceivedFrame | undefined {
    if (this.framesHead >= this.frames.length) return undefined;
    const f = this.frames[this.framesHead]!;
    this.frames[this.framesHead++] = undefined; // release it for the collector
    if (this.framesHead === this.frames.length) {
      this.frames = [];
      this.framesHead = 0;
    } else if (this.framesHead >= 1024 && this.framesHead * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.framesHead);
      this.framesHead = 0;
    }
    this.queuedBytes -= f.bytes.length;
    if (this.spaceWaiter !== undefined && this.queuedBytes < this.inboundBytesMax / 2) {
      const w = this.spaceWaiter;
      this.spaceWaiter = undefined;
      w();
    }
    return f;
  }

  /** Set once no more frames will be queued (end of stream, error, local close); queued frames remain. */
  get endOfFrames(): SpreadError | undefined {
    return this.inboundEnd;
  }

  /** Resolves when a frame is queued or no more will come; rejects with AbortError on `signal`. */
  waitForFrame(signal?: AbortSignal): Promise<void> {
    if (this.framesHead < this.frames.length || this.inboundEnd !== undefined) return RESOLVED;
    if (signal?.aborted === true) return Promise.reject(new AbortError('receive aborted', undefined, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const w: FrameWaiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        w.onAbort = () => {
          const i = this.frameWaiters.indexOf(w);
          if (i >= 0) this.frameWaiters.splice(i, 1);
          reject(new AbortError('receive aborted', undefined, { cause: signal.reason }));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.frameWaiters.push(w);
    });
  }

  /** Whether a whole message is waiting (the test the reference lacks, spec 8.6). */
  get hasFrame(): boolean {
    return this.framesHead < this.frames.length;
  }

  /** Received bytes not yet consumed: queued frames, a partial frame, and unread transport chunks. */
  get unconsumedBytes(): number {
    return this.queuedBytes + this.reader.bufferedBytes + this.transport.bufferedBytes;
  }

  // ---- outbound ----

  /**
   * Queues one data message (already checked by the caller). `body` holds `dataLen` bytes in one or
   * more pieces; once the promise resolves the caller may change them. A small message resolves
   * at once unless the socket pushes back; a large one when the kernel has it. Rejects with
   * ConnectionClosedError if the connection cannot send.
   */
  sendMessage(type: number, groups: readonly string[], messType: number, body: readonly Uint8Array[], dataLen: number): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.notOpenError());
    const headLen = HEADER_BYTES + 32 * groups.length;
    if (dataLen <= INLINE_BODY_BYTES_MAX) {
      const off = this.reserve(headLen + dataLen);
      writeMessageHead(this.slab, off, type, this.privateGroup, groups, messType, dataLen);
      let p = off + headLen;
      for (const b of body) {
        this.slab.set(b, p);
        p += b.length;
      }
      this.outBytes += headLen + dataLen;
      return this.afterEnqueue();
    }
    // A large body goes out by reference, at once (it is a batch on its own); the promise resolves
    // once the kernel has it, so the caller may reuse the buffer afterwards, as in C.
    const off = this.reserve(headLen);
    writeMessageHead(this.slab, off, type, this.privateGroup, groups, messType, dataLen);
    this.commitSlab();
    for (const b of body) if (b.length > 0) this.out.push(b);
    return new Promise((resolve, reject) => {
      this.flush((err) => {
        if (err === undefined) resolve();
        else reject(this.isOpen ? new ConnectionClosedError(`write failed: ${err.message}`, { cause: err }) : this.notOpenError());
      });
    });
  }

  /** Queues JOIN or LEAVE (one slot naming the group, marker-only hint, no body). */
  sendCommand(command: number, group: string): Promise<void> {
    return this.sendMessage(command, [group], 0, [], 0);
  }

  /** Writes whatever is queued now; `onWritten` hears when the kernel has it. */
  flush(onWritten?: (error?: Error) => void): void {
    if (this.flushScheduled !== undefined) {
      clearImmediate(this.flushScheduled);
      this.flushScheduled = undefined;
    }
    this.commitSlab();
    if (this.out.length === 0) {
      onWritten?.();
      return;
    }
    const chunks = this.out;
    this.out = [];
    this.outBytes = 0;
    if (!this.transport.write(chunks, onWritten))
      this.drainPromise ??= this.transport.drained().then(() => {
        this.drainPromise = undefined;
      });
  }

  /**
   * Sends KILL_MESS naming our private group, then closes (spec 4.4). Queued messages go first.
   * Resolves when the socket is closed. Safe to call more than once.
   */
  async disconnect(): Promise<void> {
    if (this.closedLocally) {
      await this.closed;
      return;
    }
    const canSend = this.isOpen;
    if (canSend) {
      const off = this.reserve(HEADER_BYTES + 32);
      writeMessageHead(this.slab, off, KILL_MESS, this.privateGroup, [this.privateGroup], 0, 0);
      this.outBytes += HEADER_BYTES + 32;
      this.flush();
    }
    this.closedLocally = true;
    this.endInbound(new ConnectionClosedError('connection closed'));
    if (canSend) await this.transport.close();
    else this.transport.destroy();
    await this.closed;
  }

  /** Closes the socket at once without a message (SP_kill); the daemon treats it as a disconnect. */
  kill(): void {
    if (this.closedLocally) return;
    this.closedLocally = true;
    this.out = [];
    this.outBytes = 0;
    this.endInbound(new ConnectionClosedError('connection closed'));
    this.transport.destroy();
  }

  /** Closes at once and reports `error` as the reason through `closed`. */
  abort(error: SpreadError): void {
    if (this.closedLocally) return;
    this.out = [];
    this.outBytes = 0;
    this.fail(error);
  }

  // ---- internals ----

  private notOpenError(): SpreadError {
    if (this.closedLocally) return new ConnectionClosedError('connection closed');
    return this.failure ?? this.inboundEnd ?? new ConnectionClosedError();
  }

  private reserve(n: number): number {
    if (this.slab.length - this.slabPos < n) {
      this.commitSlab();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, n));
      this.slabStart = 0;
      this.slabPos = 0;
    }
    const off = this.slabPos;
    this.slabPos += n;
    return off;
  }

  private commitSlab(): void {
    if (this.slabPos > this.slabStart) {
      this.out.push(this.slab.subarray(this.slabStart, this.slabPos));
      this.slabStart = this.slabPos;
    }
  }

  private afterEnqueue(): Promise<void> {
    if (this.outBytes >= FLUSH_BYTES) this.flush();
    else this.flushScheduled ??= setImmediate(this.flushNow);
    return this.drainPromise === undefined ? RESOLVED : this.drainPromise.then(this.checkStillOpen);
  }

  private async pump(): Promise<void> {
    for (;;) {
      if (this.inboundEnd !== undefined) return;
      if (this.queuedBytes >= this.inboundBytesMax) {
        await new Promise<void>((resolve) => {
          this.spaceWaiter = resolve;
        });
        continue;
      }
      let chunk: Buffer | null;
      try {
        chunk = await this.transport.read();
      } catch {
        // The transport's closed promise carries the error; `closed` reports it.
        return;
      }
      if (chunk === null) {
        if (!this.closedLocally) this.endInbound(new ConnectionClosedError('connection closed by the daemon'));
        return;
      }
      this.reader.push(chunk);
    }
  }

  private onFrame(bytes: Buffer, header: MessageHeader): void {
    if (this.inboundEnd !== undefined) return;
    this.frames.push({ bytes, header });
    this.queuedBytes += bytes.length;
    this.wakeFrameWaiters();
  }

  private fail(err: SpreadError): void {
    this.failure ??= err;
    this.endInbound(err);
    this.transport.destroy(err);
  }

  private endInbound(err: SpreadError): void {
    if (this.inboundEnd !== undefined) return;
    this.inboundEnd = err;
    this.reader.stop();
    const w = this.spaceWaiter;
    this.spaceWaiter = undefined;
    w?.();
    this.wakeFrameWaiters();
  }

  private wakeFrameWaiters(): void {
    if (this.frameWaiters.length === 0) return;
    const ws = this.frameWaiters;
    this.frameWaiters = [];
    for (const w of ws) {
      if (w.onAbort !== undefined) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }
}
