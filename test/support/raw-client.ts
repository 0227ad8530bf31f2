// A raw byte-level client for daemon tests: write exact bytes, read exact counts, see closes.
import { connect, type Socket } from 'node:net';

export class RawClient {
  private buffered: Buffer = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  closed = false;
  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
    const onEnd = (): void => {
      this.closed = true;
      this.waiter?.();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  }

  static open(where: { port: number; host?: string } | { path: string }): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s =
        'path' in where ? connect(where.path) : connect({ port: where.port, host: where.host ?? '127.0.0.1' });
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for exactly `n` bytes (or rejects on close or timeout). */
  async read(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.buffered.length} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.buffered.length} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Reads one whole daemon-to-client message (header, reject extra, slots, body). */
  async readMessage(timeoutMs = 3000): Promise<Buffer> {
    const head = await this.read(48, timeoutMs);
    const le = (head[0]! & 0x80) !== 0 && (head[3]! & 0x80) !== 0;
    const type = le ? head.readUInt32LE(0) : head.readUInt32BE(0);
    const groups = le ? head.readInt32LE(36) : head.readInt32BE(36);
    const dataLen = le ? head.readInt32LE(44) : head.readInt32BE(44);
    const extra = (type & 0x00400000) !== 0 ? 4 : 0;
    const rest = await this.read(extra + 32 * groups + dataLen, timeoutMs);
    return Buffer.concat([head, rest]);
  }

  /** Resolves true when the daemon closes the connection within the timeout, with no more bytes. */
  async expectClose(timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('connection still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.buffered;
  }

  /** Nothing arrives within `ms`. */
  async expectSilence(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.buffered.length > 0) throw new Error(`unexpected ${this.buffered.length} bytes: ${this.buffered.toString('hex')}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

import {
  encodeAuthChoice,
  encodeCommand,
  encodeConnectRequest,
  encodeMessageHead,
  readHeader,
  readGroupNames,
  bodyOffset,
  REG_MEMB_MESS,
  SPREAD_VERSION,
  type MessageHeader,
} from '../../client/wire/index.ts';

export interface RawSession {
  readonly client: RawClient;
  readonly privateGroup: string;
}

/** Connects and completes the handshake with NULL authentication. */
export async function rawConnect(
  where: { port: number; host?: string } | { path: string },
  name: string,
  membership = true,
): Promise<RawSession> {
  const client = await RawClient.open(where);
  client.write(encodeConnectRequest(SPREAD_VERSION, membership, false, name));
  const len = (await client.read(1))[0]!;
  await client.read(len);
  client.write(encodeAuthChoice(['NULL']));
  const accept = await client.read(5);
  if (accept[0] !== 1) throw new Error(`rejected: ${accept[0]}`);
  const privateGroup = (await client.read(accept[4]!)).toString('latin1');
  return { client, privateGroup };
}

export function rawJoin(s: RawSession, group: string): void {
  s.client.write(encodeCommand(0x00010000, s.privateGroup, group));
}

export function rawLeave(s: RawSession, group: string): void {
  s.client.write(encodeCommand(0x00020000, s.privateGroup, group));
}

export function rawMulticast(s: RawSession, type: number, groups: string[], data: Buffer, messType = 0): void {
  s.client.write(Buffer.concat([encodeMessageHead(type, s.privateGroup, groups, messType, data.length), data]));
}

export interface ReceivedMessage {
  readonly header: MessageHeader;
  readonly groups: string[];
  readonly body: Buffer;
  readonly frame: Buffer;
}

export async function rawReceive(s: RawSession, timeoutMs = 3000): Promise<ReceivedMessage> {
  const frame = await s.client.readMessage(timeoutMs);
  const header = readHeader(frame);
  return { header, groups: readGroupNames(frame, header), body: frame.subarray(bodyOffset(header)), frame };
}

/** Reads until `n` data messages (membership messages skipped) have arrived. */
export async function rawReceiveData(s: RawSession, n: number, timeoutMs = 10_000): Promise<ReceivedMessage[]> {
  const out: ReceivedMessage[] = [];
  while (out.length < n) {
    const m = await rawReceive(s, timeoutMs);
    if ((m.header.type & REG_MEMB_MESS) === 0) out.push(m);
  }
  return out;
}
