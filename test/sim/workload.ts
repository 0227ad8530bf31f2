// Simulated clients' messages: every service, sizes from tiny to the maximum, and payloads that
// identify themselves (originating daemon, counter) and can be re-derived to check every byte.
import type { RingService } from '../../daemon/ring/index.ts';
import { MAX_RING_PAYLOAD } from '../../daemon/wire/index.ts';
import type { Rng } from './rng.ts';

/** Payload header: u16 daemon, u16 0xC0DE, u32 counter. Payloads are at least this long. */
export const PAYLOAD_HEADER_BYTES = 8;
const MAGIC = 0xc0de;

export function fillByte(daemon: number, counter: number, k: number): number {
  return (Math.imul(daemon + 1, 0x9e37) + Math.imul(counter, 31) + Math.imul(k, 7) + (k >>> 8)) & 0xff;
}

export function makePayload(daemon: number, counter: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  b.writeUInt16BE(daemon, 0);
  b.writeUInt16BE(MAGIC, 2);
  b.writeUInt32BE(counter >>> 0, 4);
  for (let k = PAYLOAD_HEADER_BYTES; k < size; k++) b[k] = fillByte(daemon, counter, k);
  return b;
}

export interface PayloadId {
  readonly daemon: number;
  readonly counter: number;
}

export function readPayloadId(p: Uint8Array): PayloadId | undefined {
  if (p.length < PAYLOAD_HEADER_BYTES || p[2] !== MAGIC >>> 8 || p[3] !== (MAGIC & 0xff)) return undefined;
  return { daemon: (p[0]! << 8) | p[1]!, counter: ((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) >>> 0 };
}

/** True when `p` is exactly the payload makePayload(daemon, counter, size) built. */
export function payloadMatches(p: Uint8Array, daemon: number, counter: number, size: number): boolean {
  if (p.length !== size) return false;
  const id = readPayloadId(p);
  if (id === undefined || id.daemon !== daemon || id.counter !== counter) return false;
  for (let k = PAYLOAD_HEADER_BYTES; k < size; k++) if (p[k] !== fillByte(daemon, counter, k)) return false;
  return true;
}

export interface WorkloadMix {
  /** Relative weights of tiny (8-64 B), medium (up to one packet), multi-packet (to 20 KB), huge (to the maximum). */
  readonly tiny: number;
  readonly medium: number;
  readonly multi: number;
  readonly huge: number;
}

export const DEFAULT_MIX: WorkloadMix = { tiny: 60, medium: 25, multi: 12, huge: 3 };

const SERVICES: ReadonlyArray<RingService> = ['RELIABLE', 'FIFO', 'AGREED', 'SAFE'];

export function drawService(rng: Rng): RingService {
  return rng.pick(SERVICES);
}

export function drawSize(rng: Rng, mix: WorkloadMix, allowHuge: boolean): number {
  const total = mix.tiny + mix.medium + mix.multi + (allowHuge ? mix.huge : 0);
  let x = rng.next() * total;
  if ((x -= mix.tiny) < 0) return rng.range(PAYLOAD_HEADER_BYTES, 64);
  if ((x -= mix.medium) < 0) return rng.range(65, 1432);
  if ((x -= mix.multi) < 0) return rng.range(1433, 20_000);
  return rng.pick([MAX_RING_PAYLOAD, rng.range(20_001, MAX_RING_PAYLOAD)]);
}
