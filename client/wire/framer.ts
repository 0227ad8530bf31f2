// Splits a byte stream into whole messages. Used by the daemon (client to daemon) and the client
// (daemon to client); frames may arrive split at any byte. Complete frames inside one chunk are
// handed out as views of that chunk, without copying.
import { HEADER_BYTES } from './constants.ts';
import { frameBytes, readHeader, type MessageHeader } from './header.ts';

export interface FrameLimits {
  /** Largest num_groups accepted. */
  maxGroups: number;
  /** Largest `32*num_groups + data_len` accepted. */
  maxPayload: number;
}

export type FrameHandler = (frame: Buffer, header: MessageHeader) => void;
export type FrameErrorHandler = (reason: string) => void;

export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private need = HEADER_BYTES;
  private header: MessageHeader | undefined;
  private stopped = false;

  constructor(
    private readonly limits: FrameLimits,
    private readonly onFrame: FrameHandler,
    private readonly onError: FrameErrorHandler,
  ) {}

  /** Stops handing out frames; later bytes are ignored (after a KILL, or an error). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    this.pendingBytes = 0;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Bytes received but not yet handed out as a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** True when part of a frame has arrived and waits for the rest. */
  get hasPartialFrame(): boolean {
    return this.pendingBytes > 0;
  }

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    let buf: Buffer;
    if (this.pendingBytes === 0) {
      buf = chunk;
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let off = 0;
    while (!this.stopped) {
      const remaining = buf.length - off;
      if (this.header === undefined) {
        if (remaining < HEADER_BYTES) break;
        const h = readHeader(buf, off);
        const problem = this.check(h);
        if (problem !== undefined) {
          this.stop();
          this.onError(problem);
          return;
        }
        this.header = h;
        this.need = frameBytes(h);
      }
      if (remaining < this.need) break;
      const h = this.header;
      const frame = buf.subarray(off, off + this.need);
      off += this.need;
      this.header = undefined;
      this.need = HEADER_BYTES;
      this.onFrame(frame, h);
    }
    if (this.stopped) return;
    if (off < buf.length) {
      const rest = buf.subarray(off);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
  }

  private check(h: MessageHeader): string | undefined {
    if (h.numGroups < 0 || h.numGroups > this.limits.maxGroups)
      return `num_groups ${h.numGroups} outside 0..${this.limits.maxGroups}`;
    if (h.dataLen < 0) return `negative data_len ${h.dataLen}`;
    if (h.dataLen + 32 * h.numGroups > this.limits.maxPayload)
      return `message of ${h.dataLen + 32 * h.numGroups} bytes of groups and data exceeds ${this.limits.maxPayload}`;
    return undefined;
  }
}
