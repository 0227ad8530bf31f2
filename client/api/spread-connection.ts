// A connection to a daemon, in the spirit of Java's SpreadConnection, with promises, async
// iteration and a `closed` promise.
//
// Delivery rule: a connection delivers either to receive()/iteration or to listeners, never both.
// receive() and iteration reject with DeliveryModeError while a listener is registered, and
// adding a listener throws DeliveryModeError while a receive() is pending or an iterator is open.
// Removing the last listener makes receive() usable again; unread messages stay queued.
import { resolveAddressInput, type SpreadAddressInput } from '../address.ts';
import type { AuthMethod } from '../auth.ts';
import { checkGroupName, checkMulticast } from '../checks.ts';
import { Connection, type ReceivedFrame } from '../connection.ts';
import {
  ConnectionClosedError,
  DeliveryModeError,
  errorForCode,
  IllegalGroupError,
  IllegalServiceError,
  IllegalSpreadError,
  ListenerError,
  MessageTooLongError,
} from '../errors.ts';
import type { TransportFactory } from '../transport.ts';
import type { TlsClientOptions } from '../transports/tls.ts';
import { ILLEGAL_GROUP, ILLEGAL_SERVICE, JOIN_MESS, LEAVE_MESS, MESSAGE_TOO_LONG, isReject } from '../wire/constants.ts';
import type { Version } from '../wire/handshake.ts';
import { SpreadGroup, type GroupOwner } from './spread-group.ts';
import { SpreadMessage } from './spread-message.ts';

export interface SpreadConnectionOptions {
  /** A spread name ("4803" = Unix socket /tmp/4803, "4803@host" = TCP) or an address object. Default "4803". */
  readonly spread?: SpreadAddressInput;
  /** TCP host (with `port`); takes precedence over `spread`. */
  readonly host?: string;
  readonly port?: number;
  /** Unix socket path; takes precedence over `spread` and `host`. */
  readonly path?: string;
  /** 0..10 characters; '' (default) lets the daemon choose. */
  readonly privateName?: string;
  /** Receive membership messages (default true). */
  readonly membership?: boolean;
  readonly priority?: boolean;
  /** Authentication methods (default NULL). */
  readonly authMethods?: readonly AuthMethod[];
  /** Aborts the connect. */
  readonly signal?: AbortSignal;
  /** Bound on connect plus handshake, in milliseconds. */
  readonly timeoutMs?: number;
  readonly transportFactory?: TransportFactory;
  /** Connect over TLS (Node's tls.connect options: ca, cert, key, servername...) to the daemon's TlsPort. */
  readonly tls?: TlsClientOptions;
  /** Version announced to the daemon (default 5.0.1). */
  readonly version?: Version;
  /**
   * Called when a listener throws or rejects. Default: the connection is closed and `closed`
   * resolves to the error, so failures never pass silently.
   */
  readonly onListenerError?: (error: unknown, message: SpreadMessage) => void;
}

export interface BasicMessageListener {
  messageReceived(message: SpreadMessage): void | Promise<void>;
}

export interface AdvancedMessageListener {
  regularMessageReceived(message: SpreadMessage): void | Promise<void>;
  membershipMessageReceived(message: SpreadMessage): void | Promise<void>;
  /** Rejected messages of ours (spec 5.7); without it they go to regularMessageReceived. */
  rejectedMessageReceived?(message: SpreadMessage): void | Promise<void>;
}

export type MessageListener = BasicMessageListener | AdvancedMessageListener | ((message: SpreadMessage) => void | Promise<void>);

export interface ReceiveOptions {
  readonly signal?: AbortSignal;
}

function addressFrom(o: SpreadConnectionOptions): SpreadAddressInput {
  if (o.path !== undefined) return { path: o.path };
  if (o.host !== undefined || o.port !== undefined) return { host: o.host, port: o.port };
  return o.spread;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export class SpreadConnection implements GroupOwner, AsyncIterable<SpreadMessage> {
  /** Our private group: send here to reach this connection alone. */
  readonly privateGroup: SpreadGroup;
  /** Resolves when the connection is gone: void after close(), otherwise the reason. Never rejects. */
  readonly closed: Promise<void | Error>;

  private readonly listeners = new Set<MessageListener>();
  private pullers = 0;
  private dispatching = false;
  private closing = false;

  private constructor(
    private readonly conn: Connection,
    private readonly onListenerError: ((error: unknown, message: SpreadMessage) => void) | undefined,
  ) {
    this.privateGroup = new SpreadGroup(conn.privateGroup);
    this.closed = conn.closed;
  }

  /** Connects and completes the handshake. Rejects with a typed SpreadError. */
  static async connect(options: SpreadConnectionOptions = {}): Promise<SpreadConnection> {
    const parsed = resolveAddressInput(addressFrom(options));
    if (!parsed.ok) throw new IllegalSpreadError(parsed.reason);
    const conn = await Connection.open({
      address: parsed.address,
      privateName: options.privateName ?? '',
      membership: options.membership ?? true,
      priority: options.priority ?? false,
      authMethods: options.authMethods,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      transportFactory: options.transportFactory,
      tls: options.tls,
      version: options.version,
    });
    return new SpreadConnection(conn, options.onListenerError);
  }

  /** The daemon's version from the accept reply. */
  get daemonVersion(): Version {
    return this.conn.daemonVersion;
  }

  /** Whether membership messages were requested. */
  get membership(): boolean {
    return this.conn.membership;
  }

  /** False once closed or failed. */
  get isOpen(): boolean {
    return this.conn.isOpen;
  }

  getPrivateGroup(): SpreadGroup {
    return this.privateGroup;
  }

  // ---- groups ----

  /** Joins `name`; the result arrives as membership messages. */
  async join(name: string): Promise<SpreadGroup> {
    if (checkGroupName(name) !== 0) throw new IllegalGroupError(name);
    await this.conn.sendCommand(JOIN_MESS, name);
    return new SpreadGroup(name, this);
  }

  /** Leaves a group by name (or through SpreadGroup.leave()). */
  async leave(group: SpreadGroup | string): Promise<void> {
    const name = typeof group === 'string' ? group : group.name;
    if (checkGroupName(name) !== 0) throw new IllegalGroupError(name);
    await this.conn.sendCommand(LEAVE_MESS, name);
  }

  /** @internal used by SpreadGroup.leave(). */
  leaveGroup(group: SpreadGroup): Promise<void> {
    return this.leave(group.name);
  }

  // ---- sending ----

  /**
   * Sends one message, or several in order. Checks locally (spec 8.7) and throws
   * IllegalServiceError, MessageTooLongError or IllegalGroupError before anything is sent.
   * Large bodies are written by reference, not copied: the message's data may be changed once
   * the promise resolves (for small ones, at once; for large ones, when the kernel has them).
   */
  multicast(message: SpreadMessage | readonly SpreadMessage[]): Promise<void> {
    try {
      if (message instanceof SpreadMessage) {
        const p = prepare(message);
        return this.conn.sendMessage(p.type, p.names, p.messType, [p.data], p.data.length);
      }
      const prepared = message.map(prepare);
      // Queued in one go, so the batch goes out whole and in order; every promise is awaited so
      // a failure is reported once, never left unhandled.
      return Promise.all(prepared.map((p) => this.conn.sendMessage(p.type, p.names, p.messType, [p.data], p.data.length))).then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // ---- receiving: pull ----

  /** The next message. Rejects with ConnectionClosedError once closed, AbortError on `signal`. */
  async receive(options: ReceiveOptions = {}): Promise<SpreadMessage> {
    if (this.listeners.size > 0) throw new DeliveryModeError('receive() called on a connection that has listeners; remove them first');
    this.pullers++;
    try {
      return SpreadMessage.fromFrame(await this.nextFrame(options.signal), this.conn.privateGroup);
    } finally {
      this.pullers--;
    }
  }

  /** True when a whole message is waiting (receive() would not wait). */
  poll(): boolean {
    return this.conn.hasFrame;
  }

  /**
   * Iterates over received messages. Ends after close(); throws the reason if the connection
   * fails (e.g. ConnectionClosedError when the daemon goes away).
   */
  messages(options: ReceiveOptions = {}): AsyncIterableIterator<SpreadMessage> {
    if (this.listeners.size > 0) throw new DeliveryModeError('cannot iterate a connection that has listeners; remove them first');
    this.pullers++;
    let finished = false;
    const finish = (): void => {
      if (!finished) {
        finished = true;
        this.pullers--;
      }
    };
    const it: AsyncIterableIterator<SpreadMessage> = {
      next: async (): Promise<IteratorResult<SpreadMessage>> => {
        if (finished) return { done: true, value: undefined };
        try {
          const frame = await this.nextFrame(options.signal);
          return { done: false, value: SpreadMessage.fromFrame(frame, this.conn.privateGroup) };
        } catch (err) {
          finish();
          if (err instanceof ConnectionClosedError && this.closing) return { done: true, value: undefined };
          throw err;
        }
      },
      return: async (): Promise<IteratorResult<SpreadMessage>> => {
        finish();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  [Symbol.asyncIterator](): AsyncIterator<SpreadMessage> {
    return this.messages();
  }

  private async nextFrame(signal: AbortSignal | undefined): Promise<ReceivedFrame> {
    for (;;) {
      const f = this.conn.shiftFrame();
      if (f !== undefined) return f;
      const end = this.conn.endOfFrames;
      if (end !== undefined) throw end;
      await this.conn.waitForFrame(signal);
    }
  }

  // ---- receiving: listeners ----

  /** Adds a listener; messages are dispatched to every listener in turn, in arrival order. */
  addListener(listener: MessageListener): this {
    if (this.pullers > 0) throw new DeliveryModeError('cannot add a listener while receive() or an iterator is in use on this connection');
    this.listeners.add(listener);
    void this.dispatch();
    return this;
  }

  removeListener(listener: MessageListener): this {
    this.listeners.delete(listener);
    return this;
  }

  /** Java's names. */
  add(listener: MessageListener): this {
    return this.addListener(listener);
  }

  remove(listener: MessageListener): this {
    return this.removeListener(listener);
  }

  private async dispatch(): Promise<void> {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.listeners.size > 0) {
        const f = this.conn.shiftFrame();
        if (f === undefined) {
          if (this.conn.endOfFrames !== undefined) return;
          await this.conn.waitForFrame();
          continue;
        }
        const m = SpreadMessage.fromFrame(f, this.conn.privateGroup);
        for (const l of [...this.listeners]) {
          try {
            const r = callListener(l, m);
            if (isThenable(r)) await r;
          } catch (err) {
            this.listenerFailed(err, m);
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private listenerFailed(err: unknown, m: SpreadMessage): void {
    if (this.onListenerError !== undefined) {
      this.onListenerError(err, m);
      return;
    }
    this.conn.abort(new ListenerError(err, m));
  }

  // ---- closing ----

  /** Flushes what is queued, sends the disconnect (KILL) and closes. `closed` then resolves to void. */
  async close(): Promise<void> {
    this.closing = true;
    await this.conn.disconnect();
  }

  /** Same as close(). */
  disconnect(): Promise<void> {
    return this.close();
  }

  /** Closes the socket at once, without the disconnect message. */
  kill(): void {
    this.closing = true;
    this.conn.kill();
  }
}

/** Checks a message for sending (spec 8.7) and takes what the wire needs. */
function prepare(m: SpreadMessage): { type: number; names: string[]; messType: number; data: Uint8Array } {
  const names = m.groupNames;
  const data = m.data;
  const bad = checkMulticast(m.serviceType, names, data.length);
  if (bad === ILLEGAL_SERVICE) throw new IllegalServiceError(m.serviceType);
  if (bad === MESSAGE_TOO_LONG) throw new MessageTooLongError(names.length, data.length);
  if (bad === ILLEGAL_GROUP) throw new IllegalGroupError(names.find((n) => n.length === 0 || n.length > 31) ?? names.join(','));
  if (bad !== 0) throw errorForCode(bad);
  return { type: m.serviceType, names, messType: m.type, data };
}

function callListener(l: MessageListener, m: SpreadMessage): unknown {
  if (typeof l === 'function') return l(m);
  if ('messageReceived' in l) return l.messageReceived(m);
  if (m.isMembership()) return l.membershipMessageReceived(m);
  if (isReject(m.serviceType) && l.rejectedMessageReceived !== undefined) return l.rejectedMessageReceived(m);
  return l.regularMessageReceived(m);
}
