// The down queue: client messages waiting for the token (design 3.7). The head message may be
// partly sent; `nextFragment` says which fragment goes next.
import { view } from '../wire/bytes.ts';
import { MAX_FRAGMENTS } from '../wire/constants.ts';
import type { RingMessage } from './types.ts';

export interface QueuedMessage {
  readonly message: RingMessage;
  readonly fragments: number;
  nextFragment: number;
}

/** Fragments of a message of `length` bytes in packets of `bodyBytes` (1..MAX_FRAGMENTS). */
export function fragmentCount(length: number, bodyBytes: number): number {
  return Math.max(1, Math.ceil(length / bodyBytes));
}

/** Bytes of fragment `i` (0-based) of a payload: a view, not a copy. */
export function fragmentOf(payload: Uint8Array, i: number, bodyBytes: number): Uint8Array {
  if (payload.length <= bodyBytes) return payload;
  const start = i * bodyBytes;
  return view(payload, start, Math.min(start + bodyBytes, payload.length));
}

/** A FIFO over an array with a moving head, so that shift is O(1). */
export class DownQueue {
  private items: QueuedMessage[] = [];
  private head = 0;

  /** `bodyBytes`: the ring's packet body size, which decides how messages are cut. */
  constructor(readonly bodyBytes: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(message: RingMessage): void {
    const fragments = fragmentCount(message.payload.length, this.bodyBytes);
    if (fragments > MAX_FRAGMENTS) throw new RangeError(`${fragments} fragments`);
    this.items.push({ message, fragments, nextFragment: 0 });
  }

  peek(): QueuedMessage | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes the head message (fully sent). */
  shift(): void {
    if (this.head >= this.items.length) return;
    this.items[this.head] = undefined as unknown as QueuedMessage; // release the payload
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops every message not yet started (a partly sent head stays: its fragments are on the wire). */
  clearUnsent(): void {
    const h = this.peek();
    this.items = h !== undefined && h.nextFragment > 0 ? [h] : [];
    this.head = 0;
  }

  /** A new ring re-sends a partly sent head message whole (design 6.4). */
  restartHead(): void {
    const h = this.peek();
    if (h !== undefined) h.nextFragment = 0;
  }
}
