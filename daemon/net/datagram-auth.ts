// Authenticated daemon traffic: with a shared key (DaemonKey or DaemonKeyFile in spread.conf) every
// datagram a daemon sends carries an HMAC-SHA256 tag, truncated to DAEMON_KEY_TAG_BYTES (16), after
// its last byte; a datagram whose tag does not check is dropped before anything reads it. Daemons
// with different keys (or one without) cannot verify each other, so they never form a ring.
//
// The tag covers the whole datagram, header included; it does not stop replays of a datagram
// recorded on the wire (the ring protocol drops stale ring ids and sequence numbers).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DAEMON_KEY_TAG_BYTES, type DaemonKeySpec, type SpreadConfig } from '../config/model.ts';

export class DatagramAuth {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length === 0) throw new RangeError('the daemon key is empty');
    this.key = Buffer.from(key);
  }

  /** The tag to send after `bytes` (the socket sends both as one datagram). */
  tag(bytes: Uint8Array): Buffer {
    return createHmac('sha256', this.key).update(bytes).digest().subarray(0, DAEMON_KEY_TAG_BYTES);
  }

  /** `bytes` followed by its tag, in one buffer. */
  seal(bytes: Uint8Array): Buffer {
    return Buffer.concat([bytes, this.tag(bytes)]);
  }

  /** The datagram without its tag when the tag checks, else undefined. */
  open(datagram: Buffer): Buffer | undefined {
    const n = datagram.length - DAEMON_KEY_TAG_BYTES;
    if (n <= 0) return undefined;
    const body = datagram.subarray(0, n);
    return timingSafeEqual(this.tag(body), datagram.subarray(n)) ? body : undefined;
  }
}

/** The key bytes of a DaemonKey text or DaemonKeyFile (whose trailing newline is not part of it). */
export function daemonKeyBytes(spec: DaemonKeySpec): Buffer {
  if ('text' in spec) return Buffer.from(spec.text, 'utf8');
  let bytes: Buffer;
  try {
    bytes = readFileSync(spec.file);
  } catch (err) {
    throw new Error(`cannot read DaemonKeyFile ${spec.file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  if (end === 0) throw new Error(`DaemonKeyFile ${spec.file} is empty`);
  return bytes.subarray(0, end);
}

/** The signer of `config`'s daemon key, or undefined when daemon traffic is not authenticated. */
export function datagramAuthFor(config: Pick<SpreadConfig, 'daemonKey'>): DatagramAuth | undefined {
  return config.daemonKey === undefined ? undefined : new DatagramAuth(daemonKeyBytes(config.daemonKey));
}
