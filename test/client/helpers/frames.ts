// Frame builders for client tests: what a big-endian daemon would send, and small hand-made frames.
import { CAUSED_BY_JOIN, HEADER_BYTES, LITTLE_ENDIAN_MARKER, MEMBERSHIP_MESS, REG_MEMB_MESS, REJECT_MESS, TRANSITION_MESS } from '../../../client/wire/constants.ts';
import { encodeMessageHead } from '../../../client/wire/message.ts';

/**
 * Rewrites a frame sent by a little-endian daemon as a big-endian daemon would send it: type,
 * num_groups, data_len, a reject's old_type and membership body integers big-endian with no
 * marker; a membership's hint is the daemon's marker (none); a data message's hint is the
 * original sender's and stays as it is. Written independently of the client's own converter.
 */
export function bigEndianDaemonCopy(le: Buffer): Buffer {
  const out = Buffer.from(le);
  const type = (le.readUInt32LE(0) & ~LITTLE_ENDIAN_MARKER) >>> 0;
  const numGroups = le.readInt32LE(36);
  const dataLen = le.readInt32LE(44);
  out.writeUInt32BE(type, 0);
  out.writeInt32BE(numGroups, 36);
  out.writeInt32BE(dataLen, 44);
  const isReject = (type & REJECT_MESS) !== 0;
  const isMembership = !isReject && (type & MEMBERSHIP_MESS) !== 0;
  if (isMembership) out.writeUInt32BE(0, 40);
  let slots = HEADER_BYTES;
  if (isReject) {
    out.writeUInt32BE((le.readUInt32LE(HEADER_BYTES) & ~LITTLE_ENDIAN_MARKER) >>> 0, HEADER_BYTES);
    slots += 4;
  }
  const body = slots + 32 * numGroups;
  const flip = (off: number): void => {
    out.writeUInt32BE(le.readUInt32LE(off), off);
  };
  if (isMembership && (type & TRANSITION_MESS) !== 0) for (let i = 0; i < 3; i++) flip(body + 4 * i);
  if (isMembership && (type & REG_MEMB_MESS) !== 0) {
    for (let i = 0; i < 5; i++) flip(body + 4 * i);
    const sets = le.readUInt32LE(body + 12);
    let p = body + 20;
    for (let i = 0; i < sets; i++) {
      const k = le.readUInt32LE(p);
      flip(p);
      p += 4 + 32 * k;
    }
  }
  return out;
}

/** A data message as a little-endian daemon delivers it. */
export function dataFrame(type: number, sender: string, groups: string[], messType: number, body: Uint8Array | string): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'latin1') : Buffer.from(body);
  return Buffer.concat([encodeMessageHead(type, sender, groups, messType, data.length), data]);
}

/** The type bits of a JOIN-caused regular membership (for readability in tests). */
export const REG_JOIN = REG_MEMB_MESS | CAUSED_BY_JOIN;
