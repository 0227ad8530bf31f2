// The 12 bytes every daemon datagram starts with; enough for the network layer's filters.
import { CONFIG_HASH_OFFSET, ENVELOPE_BYTES, KIND_OFFSET, TRANSMITTER_OFFSET, VERSION_OFFSET, WIRE_VERSION } from './constants.ts';
import { readU32, writeU32 } from './bytes.ts';
import type { Envelope } from './types.ts';

/** Reads the envelope, or returns why the datagram cannot be one of ours. */
export function peekEnvelope(bytes: Uint8Array): Envelope | string {
  if (bytes.length < ENVELOPE_BYTES) return `short datagram (${bytes.length} bytes)`;
  const version = bytes[VERSION_OFFSET]!;
  if (version !== WIRE_VERSION) return `wire version ${version}`;
  return {
    version,
    kind: bytes[KIND_OFFSET]!,
    configHash: readU32(bytes, CONFIG_HASH_OFFSET),
    transmitter: readU32(bytes, TRANSMITTER_OFFSET),
  };
}

/**
 * Rewrites the sender's fields in place. A retransmission is the stored datagram with only the
 * transmitter changed (design 3.6), and the configuration hash in force: after a reload the
 * recovery of the old ring re-sends packets first sent under the old file's hash. A daemon only
 * ever writes into its own copy.
 */
export function stampSender(datagram: Uint8Array, configHash: number, transmitter: number): void {
  writeU32(datagram, CONFIG_HASH_OFFSET, configHash);
  writeU32(datagram, TRANSMITTER_OFFSET, transmitter);
}
