// Daemon ids and the configuration hash (design 1.6, 2.4).
import { SPREAD_VERSION } from '../../client/wire/constants.ts';
import type { SegmentSpec } from './model.ts';

/**
 * Bob Jenkins' one-at-a-time hash, 32 bits. Like Spread's stdutil variant the state starts from
 * the byte count instead of 0.
 */
export function oneAtATimeHash(bytes: ArrayLike<number>, seed: number = bytes.length): number {
  let h = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h = (h + ((bytes[i] as number) & 0xff)) >>> 0;
    h = (h + (h << 10)) >>> 0;
    h = (h ^ (h >>> 6)) >>> 0;
  }
  h = (h + (h << 3)) >>> 0;
  h = (h ^ (h >>> 11)) >>> 0;
  h = (h + (h << 15)) >>> 0;
  return h;
}

/**
 * The id of a daemon without VirtualID: the hash of its name's bytes and the terminating NUL (as
 * Spread does, so that ids agree with C daemons). 0 and 0xFFFFFFFF are reserved and avoided.
 */
export function daemonIdFromName(name: string): number {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) bytes.push(name.charCodeAt(i) & 0xff);
  bytes.push(0);
  const h = oneAtATimeHash(bytes);
  if (h !== 0 && h !== 0xffffffff) return h;
  return ((bytes.length << 16) >>> 0) || 0x10000;
}

export interface ConfigHashOptions {
  readonly excludeSegAddrs: boolean;
  /** The effective ring protocol (after the "accelerated unless wide-area" default). */
  readonly acceleratedRing: boolean;
  readonly majorVersion?: number;
}

const withoutScope = (address: string): string => address.split('%')[0] as string;

/** The text the configuration hash is computed over: everything all daemons must agree on. */
export function canonicalConfigText(segments: ReadonlyArray<SegmentSpec>, opts: ConfigHashOptions): string {
  let text = '';
  for (const seg of segments) {
    text += `segment port ${seg.port}`;
    if (!opts.excludeSegAddrs) for (const a of seg.addresses) text += ` [${withoutScope(a)}]`;
    text += '\n';
    for (const d of seg.daemons) text += `  '${d.name}' [${withoutScope(d.address)}] [${d.id}]\n`;
  }
  text += `version ${opts.majorVersion ?? SPREAD_VERSION.major}\n`;
  text += `protocol ${opts.acceleratedRing ? 'Accelerated Ring' : 'Original Ring'}\n`;
  return text;
}

/** 32-bit hash carried by every packet and token; daemons drop traffic whose hash differs. */
export function configHash(segments: ReadonlyArray<SegmentSpec>, opts: ConfigHashOptions): number {
  return oneAtATimeHash(new TextEncoder().encode(canonicalConfigText(segments, opts)));
}
