// Monitor control packets (design 9.1), sent by spmonitor to a daemon's data port: status
// request and reply, partition (and terminate), flow control. Only our own monitor and daemons
// read them. A request may ask for an acknowledgement, which the daemon sends only then (a C
// monitor would mistake anything but a status record for one).
import { CONFIG_HASH_OFFSET, DatagramKind, ENVELOPE_BYTES, KIND_OFFSET, TRANSMITTER_OFFSET, VERSION_OFFSET, WIRE_VERSION } from './constants.ts';
import { readI16, readI32, readU16, writeU16, writeU32 } from './bytes.ts';
import { peekEnvelope } from './envelope.ts';

/** Byte 2 of the envelope of a control packet. */
/** Largest UDP payload over IPv4; status replies travel only on loopback or a LAN. */
const MAX_UDP_PAYLOAD = 65507;
const FLAG_REPLY = 0x01;
const FLAG_WANT_ACK = 0x02;

export type ControlPacket =
  | { readonly kind: 'statusRequest'; readonly replyPort: number; readonly wantAck: boolean }
  /** The status record as JSON text (spmonitor prints it or passes it on with --json). */
  | { readonly kind: 'statusReply'; readonly json: string }
  /** One cell per configured daemon in file order; -1 asks that daemon to exit (terminate). */
  | { readonly kind: 'partition'; readonly cells: ReadonlyArray<number>; readonly replyPort: number; readonly wantAck: boolean }
  /** Window, then per daemon [personal window, accelerated window]; -1 leaves a value unchanged. */
  | {
      readonly kind: 'flowControl';
      readonly window: number;
      readonly perDaemon: ReadonlyArray<readonly [number, number]>;
      readonly replyPort: number;
      readonly wantAck: boolean;
    }
  /** Re-read spread.conf (Spread 4's reload); the daemon answers with its verdict if asked. */
  | { readonly kind: 'reload'; readonly replyPort: number; readonly wantAck: boolean }
  /** A daemon's answer to a request that asked for one. */
  | { readonly kind: 'ack'; readonly accepted: boolean; readonly reason: string };

export interface ControlEnvelope {
  readonly configHash: number;
  readonly transmitter: number;
}

const KIND_OF: Record<ControlPacket['kind'], number> = {
  statusRequest: DatagramKind.STATUS,
  statusReply: DatagramKind.STATUS,
  partition: DatagramKind.PARTITION,
  flowControl: DatagramKind.FLOW_CONTROL,
  reload: DatagramKind.RELOAD,
  ack: DatagramKind.STATUS,
};

export function isControlKind(kind: number): boolean {
  return kind === DatagramKind.STATUS || kind === DatagramKind.PARTITION || kind === DatagramKind.FLOW_CONTROL || kind === DatagramKind.RELOAD;
}

function envelope(size: number, kind: number, flags: number, env: ControlEnvelope): Buffer {
  const b = Buffer.alloc(size);
  b[VERSION_OFFSET] = WIRE_VERSION;
  b[KIND_OFFSET] = kind;
  b[2] = flags;
  writeU32(b, CONFIG_HASH_OFFSET, env.configHash);
  writeU32(b, TRANSMITTER_OFFSET, env.transmitter);
  return b;
}

export function encodeControl(p: ControlPacket, env: ControlEnvelope): Buffer {
  switch (p.kind) {
    case 'statusRequest':
    case 'reload': {
      const b = envelope(ENVELOPE_BYTES + 2, KIND_OF[p.kind], p.wantAck ? FLAG_WANT_ACK : 0, env);
      writeU16(b, ENVELOPE_BYTES, p.replyPort);
      return b;
    }
    case 'statusReply':
    case 'ack': {
      const text = p.kind === 'statusReply' ? p.json : JSON.stringify({ ack: p.accepted, reason: p.reason });
      const body = Buffer.from(text, 'utf8');
      const b = envelope(ENVELOPE_BYTES + 1 + body.length, KIND_OF[p.kind], FLAG_REPLY, env);
      b[ENVELOPE_BYTES] = p.kind === 'ack' ? 1 : 0;
      body.copy(b, ENVELOPE_BYTES + 1);
      if (b.length > MAX_UDP_PAYLOAD) throw new RangeError(`control reply of ${b.length} bytes exceeds one datagram`);
      return b;
    }
    case 'partition': {
      const b = envelope(ENVELOPE_BYTES + 4 + 2 * p.cells.length, KIND_OF[p.kind], p.wantAck ? FLAG_WANT_ACK : 0, env);
      writeU16(b, ENVELOPE_BYTES, p.replyPort);
      writeU16(b, ENVELOPE_BYTES + 2, p.cells.length);
      p.cells.forEach((c, i) => writeU16(b, ENVELOPE_BYTES + 4 + 2 * i, c & 0xffff));
      return b;
    }
    case 'flowControl': {
      const b = envelope(ENVELOPE_BYTES + 8 + 8 * p.perDaemon.length, KIND_OF[p.kind], p.wantAck ? FLAG_WANT_ACK : 0, env);
      writeU16(b, ENVELOPE_BYTES, p.replyPort);
      writeU16(b, ENVELOPE_BYTES + 2, p.perDaemon.length);
      writeU32(b, ENVELOPE_BYTES + 4, p.window >>> 0);
      p.perDaemon.forEach(([pw, aw], i) => {
        writeU32(b, ENVELOPE_BYTES + 8 + 8 * i, pw >>> 0);
        writeU32(b, ENVELOPE_BYTES + 12 + 8 * i, aw >>> 0);
      });
      return b;
    }
  }
}

/** Decodes a control packet; a string says why it is not one. Never throws. */
export function decodeControl(bytes: Uint8Array): { env: ControlEnvelope; packet: ControlPacket } | string {
  const e = peekEnvelope(bytes);
  if (typeof e === 'string') return e;
  const env = { configHash: e.configHash, transmitter: e.transmitter };
  const flags = bytes[2]!;
  const wantAck = (flags & FLAG_WANT_ACK) !== 0;
  const n = bytes.length;
  switch (e.kind) {
    case DatagramKind.STATUS: {
      if ((flags & FLAG_REPLY) === 0) {
        if (n < ENVELOPE_BYTES + 2) return 'short status request';
        return { env, packet: { kind: 'statusRequest', replyPort: readU16(bytes, ENVELOPE_BYTES), wantAck } };
      }
      if (n < ENVELOPE_BYTES + 1) return 'short status reply';
      const text = Buffer.from(bytes.buffer, bytes.byteOffset + ENVELOPE_BYTES + 1, n - ENVELOPE_BYTES - 1).toString('utf8');
      if (bytes[ENVELOPE_BYTES] === 0) return { env, packet: { kind: 'statusReply', json: text } };
      try {
        const a = JSON.parse(text) as { ack?: unknown; reason?: unknown };
        if (typeof a.ack !== 'boolean' || typeof a.reason !== 'string') return 'malformed ack';
        return { env, packet: { kind: 'ack', accepted: a.ack, reason: a.reason } };
      } catch {
        return 'malformed ack';
      }
    }
    case DatagramKind.PARTITION: {
      if (n < ENVELOPE_BYTES + 4) return 'short partition packet';
      const count = readU16(bytes, ENVELOPE_BYTES + 2);
      if (n !== ENVELOPE_BYTES + 4 + 2 * count) return `partition packet of ${n} bytes for ${count} daemons`;
      const cells = Array.from({ length: count }, (_, i) => readI16(bytes, ENVELOPE_BYTES + 4 + 2 * i));
      return { env, packet: { kind: 'partition', cells, replyPort: readU16(bytes, ENVELOPE_BYTES), wantAck } };
    }
    case DatagramKind.FLOW_CONTROL: {
      if (n < ENVELOPE_BYTES + 8) return 'short flow control packet';
      const count = readU16(bytes, ENVELOPE_BYTES + 2);
      if (n !== ENVELOPE_BYTES + 8 + 8 * count) return `flow control packet of ${n} bytes for ${count} daemons`;
      const perDaemon = Array.from({ length: count }, (_, i) => [readI32(bytes, ENVELOPE_BYTES + 8 + 8 * i), readI32(bytes, ENVELOPE_BYTES + 12 + 8 * i)] as const);
      return { env, packet: { kind: 'flowControl', window: readI32(bytes, ENVELOPE_BYTES + 4), perDaemon, replyPort: readU16(bytes, ENVELOPE_BYTES), wantAck } };
    }
    case DatagramKind.RELOAD:
      if (n !== ENVELOPE_BYTES + 2) return `reload packet of ${n} bytes`;
      return { env, packet: { kind: 'reload', replyPort: readU16(bytes, ENVELOPE_BYTES), wantAck } };
    default:
      return `not a control packet (kind ${e.kind})`;
  }
}
