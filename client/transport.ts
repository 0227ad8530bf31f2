// The byte stream under a connection. The protocol code never touches a socket: it reads chunks,
// writes batches of buffers and closes, through this interface (TCP and Unix implementations live
// in transports/; tests can plug in their own).
import type { SpreadAddress } from './address.ts';

export interface Transport {
  /** e.g. "tcp:127.0.0.1:4803" or "unix:/tmp/4803". */
  readonly description: string;
  /**
   * Queues `chunks` for writing, in order, as one batch (a single writev when possible). The
   * buffers are referenced, not copied: they must not change until written, which `onWritten`
   * reports (with an error if they never will be). Returns false when the kernel buffer is full;
   * callers then wait for drained().
   */
  write(chunks: readonly Uint8Array[], onWritten?: (error?: Error) => void): boolean;
  /** Resolves when queued writes have drained below the high-water mark (or the transport closed). */
  drained(): Promise<void>;
  /** The next received chunk; null at end of stream. Rejects after a socket error. */
  read(): Promise<Buffer | null>;
  /** Bytes received and buffered here, not yet returned by read(). */
  readonly bufferedBytes: number;
  /** Ends our side after queued writes are flushed, then waits until the socket is closed. */
  close(): Promise<void>;
  /** Closes at once, discarding queued writes; pending and later reads see end of stream or `error`. */
  destroy(error?: Error): void;
  /** Resolves when the socket is closed: void, or the error that closed it. */
  readonly closed: Promise<void | Error>;
}

export interface TransportConnectOptions {
  readonly signal?: AbortSignal;
}

/** Opens a transport to an address. Rejects with IllegalSpreadError or CouldNotConnectError. */
export type TransportFactory = (address: SpreadAddress, options: TransportConnectOptions) => Promise<Transport>;
