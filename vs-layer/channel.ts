// An ordered event channel with two kinds of consumers: RxJS subscribers (push, hot) and pull
// queues (async iterators). It can hold events until its first consumer attaches, so that the
// events between `await join()` and `subscribe()` are not lost. Consumers that attach in the same
// turn of the event loop as the first one all see the held events.
//
// Backpressure: a pull queue (or the held buffer) at its high-water mark makes the channel
// "pressured"; the shell then stops reading the daemon socket until onRelief is called. Nothing
// is dropped: the bound is the daemon's per-session limit. Push subscribers are not counted: they
// consume synchronously.
import { Observable, type Subscriber } from 'rxjs';

export interface EventChannelOptions<T> {
  /** Hold events until the first consumer attaches (default false: events with no consumer are gone). */
  readonly bufferUntilSubscribed?: boolean;
  /** Events a pull queue (or the held buffer) may hold before the channel is pressured. */
  readonly highWaterMark: number;
  /** Pressure may have dropped: a queue fell below its mark, a consumer left, the buffer was released. */
  readonly onRelief?: () => void;
  /** Sees each event as it is handed to consumers, in order. */
  readonly onDispatch?: (event: T) => void;
  /** Schedules the release of held events (default setImmediate). */
  readonly schedule?: (fn: () => void) => void;
}

type End = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

export class EventChannel<T> {
  /** Hot: a subscriber sees events from the moment it subscribes (plus held ones, see above). */
  readonly observable: Observable<T>;
  private readonly subscribers = new Set<Subscriber<T>>();
  private readonly queues = new Set<PullQueue<T>>();
  private held: T[] | undefined;
  private releaseScheduled = false;
  private end: End | undefined;
  // Trampoline: an event pushed while another is being handed out waits its turn.
  private readonly pending: T[] = [];
  private dispatching = false;

  constructor(private readonly o: EventChannelOptions<T>) {
    this.held = o.bufferUntilSubscribed === true ? [] : undefined;
    this.observable = new Observable<T>((sub) => {
      if (this.held === undefined && this.end !== undefined) {
        finish(sub, this.end);
        return undefined;
      }
      this.subscribers.add(sub);
      this.scheduleRelease();
      return () => {
        this.subscribers.delete(sub);
      };
    });
  }

  /** Hands an event to every consumer (or holds it). Ignored once ended. */
  push(event: T): void {
    if (this.end !== undefined) return;
    if (this.held !== undefined) {
      this.held.push(event);
      return;
    }
    this.dispatch(event);
  }

  /** Completes every consumer, after any held events. */
  complete(): void {
    this.finishWith({ kind: 'complete' });
  }

  /** Errors every consumer, after any held events. */
  error(error: unknown): void {
    this.finishWith({ kind: 'error', error });
  }

  get ended(): boolean {
    return this.end !== undefined;
  }

  /** Whether held events are still waiting for a first consumer. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** A pull consumer; its queue holds at most about `highWaterMark` events before the channel is pressured. */
  iterate(highWaterMark = this.o.highWaterMark): AsyncIterableIterator<T> & { readonly size: number } {
    const q = new PullQueue<T>(this, Math.max(1, highWaterMark));
    if (this.held === undefined && this.end !== undefined) q.finish(this.end);
    else {
      this.queues.add(q);
      this.scheduleRelease();
    }
    return q;
  }

  /** Some queue (or the held buffer) is at its high-water mark. */
  get pressured(): boolean {
    if (this.held !== undefined && this.held.length >= this.o.highWaterMark) return true;
    for (const q of this.queues) if (q.size >= q.highWaterMark) return true;
    return false;
  }

  /** Events waiting in the held buffer and in pull queues. */
  get bufferedCount(): number {
    let n = this.held?.length ?? 0;
    for (const q of this.queues) n += q.size;
    return n;
  }

  /** @internal a pull queue drained below its mark or went away. */
  relief(): void {
    this.o.onRelief?.();
  }

  /** @internal */
  detach(q: PullQueue<T>): void {
    this.queues.delete(q);
    this.relief();
  }

  private dispatch(event: T): void {
    this.pending.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let e = this.pending.shift(); e !== undefined; e = this.pending.shift()) {
        this.o.onDispatch?.(e);
        for (const q of this.queues) q.push(e);
        for (const s of [...this.subscribers]) s.next(e);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private finishWith(end: End): void {
    if (this.end !== undefined) return;
    this.end = end;
    if (this.held === undefined) this.finishAll();
  }

  private finishAll(): void {
    const end = this.end!;
    for (const q of this.queues) q.finish(end);
    this.queues.clear();
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) finish(s, end);
  }

  private scheduleRelease(): void {
    if (this.held === undefined || this.releaseScheduled) return;
    this.releaseScheduled = true;
    (this.o.schedule ?? setImmediate)(() => this.release());
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.releaseScheduled = false;
    for (const e of held) this.dispatch(e);
    if (this.end !== undefined) this.finishAll();
    this.relief();
  }
}

function finish<T>(sub: Subscriber<T>, end: End): void {
  if (end.kind === 'complete') sub.complete();
  else sub.error(end.error);
}

interface Waiter<T> {
  resolve(r: IteratorResult<T>): void;
  reject(e: unknown): void;
}

/** The queue behind one iterate() call. */
class PullQueue<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private head = 0;
  private waiters: Waiter<T>[] = [];
  private end: End | undefined;
  private done = false;

  constructor(
    private readonly channel: EventChannel<T>,
    readonly highWaterMark: number,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(e: T): void {
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve({ value: e, done: false });
    else this.items.push(e);
  }

  finish(end: End): void {
    this.end = end;
    if (this.size > 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) this.settleEnd(w);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const e = this.items[this.head]!;
      this.items[this.head++] = undefined as T; // let the event be collected
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      if (this.size === this.highWaterMark - 1) this.channel.relief();
      return Promise.resolve({ value: e, done: false });
    }
    if (this.done || this.end !== undefined) {
      return new Promise((resolve, reject) => this.settleEnd({ resolve, reject }));
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.done = true;
    this.items = [];
    this.head = 0;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resolve({ value: undefined, done: true });
    this.channel.detach(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  /** The end is reported once: an error to the first reader, then done. */
  private settleEnd(w: Waiter<T>): void {
    const end = this.end;
    if (this.done || end === undefined || end.kind === 'complete') {
      this.done = true;
      w.resolve({ value: undefined, done: true });
      return;
    }
    this.done = true;
    w.reject(end.error);
  }
}
