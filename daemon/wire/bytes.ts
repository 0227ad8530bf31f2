// Big-endian (network order) integer access on any Uint8Array, without allocating a DataView.
// Callers check bounds first; these helpers do not.

export function readU8(b: Uint8Array, o: number): number {
  return b[o]!;
}

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function readI16(b: Uint8Array, o: number): number {
  return ((b[o]! << 8) | b[o + 1]!) << 16 >> 16;
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function readI32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

export function writeU8(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

/** Writes the low 32 bits of v; serves signed and unsigned values alike. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** A daemon id field: NO_DAEMON (-1) travels as 0xFFFFFFFF. */
export function readDaemonId(b: Uint8Array, o: number): number {
  const v = readU32(b, o);
  return v === 0xffffffff ? -1 : v;
}

/**
 * A view of b[start, end) as a plain Uint8Array. Cheaper to create than Buffer#subarray (which
 * builds a Buffer): the hot path makes several views per message.
 */
export function view(b: Uint8Array, start: number, end: number = b.length): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}
