// VS frames inside Spread data messages (design 1.8): the one copy of this format. Pure.
//
// A frame is a Spread data message whose mess_type is one of the three values Flush reserves
// (FLUSH_OK -32768, FLUSH_RECV -32767, DATA -32766); its body starts with an 18-byte header,
// integers big-endian:
//
//   0  u8   magic (high nibble 0xA) and version (low nibble, 1)
//   1  u8   kind: 1 FLUSH_OK, 2 FLUSH_RECV, 3 DATA; must match mess_type
//   2  u8   flags (DATA only): bit 0 VULNERABLE (the view tag is set), bit 1 SUBGROUP (group name follows)
//   3  u8   length g of the group name: 1..31 with SUBGROUP, else 0
//   4  12   view id, three u32: FLUSH_OK / FLUSH_RECV: the view; DATA: the tag if VULNERABLE, else zero
//   16 i16  DATA: the application's mess_type (>= FL_MIN_LEGAL_MESS_TYPE); control frames: 0
//   18 g    group name (SUBGROUP: the frame is addressed to the receivers' private groups)
//   18+g    DATA: the application's payload; control frames end at the header
//
// Data sent in steady state to the whole group needs no header: it travels as a plain Spread
// message with the application's own mess_type. Decoding checks every field and length and never
// throws: garbage yields { ok: false, reason }.
import { FL_MAX_LEGAL_MESS_TYPE, FL_MIN_LEGAL_MESS_TYPE, FLUSH_OK_MESS_TYPE, FLUSH_RECV_MESS_TYPE, VS_DATA_MESS_TYPE } from './constants.ts';
import type { ViewId } from './types.ts';

export const VS_MAGIC_VERSION = 0xa1;
export const VS_HEADER_BYTES = 18;
const KIND_FLUSH_OK = 1;
const KIND_FLUSH_RECV = 2;
const KIND_DATA = 3;
const FLAG_VULNERABLE = 0x01;
const FLAG_SUBGROUP = 0x02;
const GROUP_NAME_MAX = 31;

export type VsFrame =
  | { readonly kind: 'flushOk'; readonly viewId: ViewId }
  | { readonly kind: 'flushRecv'; readonly viewId: ViewId }
  | {
      readonly kind: 'data';
      readonly origType: number;
      /** Set on a vulnerable message: the view its sender had installed. */
      readonly tag: ViewId | undefined;
      /** Set on a subgroup cast: the group it belongs to. */
      readonly group: string | undefined;
      readonly payload: Uint8Array;
    };

export type VsDecodeResult = { readonly ok: true; readonly frame: VsFrame } | { readonly ok: false; readonly reason: string };

/** Whether a data message's mess_type marks it as a VS frame. */
export function isVsMessType(messType: number): boolean {
  return messType >= FLUSH_OK_MESS_TYPE && messType < FL_MIN_LEGAL_MESS_TYPE;
}

/** The view id of an EVS group id: its three words, unsigned, joined by dots. */
export function viewIdFromWords(w: readonly [number, number, number]): ViewId {
  return `${w[0] >>> 0}.${w[1] >>> 0}.${w[2] >>> 0}`;
}

const WORD_RE = /^(\d{1,10})\.(\d{1,10})\.(\d{1,10})$/;

/** The three unsigned words of a view id, or undefined if it is not one. */
export function viewIdToWords(id: ViewId): [number, number, number] | undefined {
  const m = WORD_RE.exec(id);
  if (m === null) return undefined;
  const w: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return w.every((x) => x <= 0xffffffff) ? w : undefined;
}

function writeHeader(buf: Uint8Array, kind: number, flags: number, group: string | undefined, viewId: ViewId | undefined, origType: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[0] = VS_MAGIC_VERSION;
  buf[1] = kind;
  buf[2] = flags;
  buf[3] = group?.length ?? 0;
  const w = viewId === undefined ? [0, 0, 0] : viewIdToWords(viewId);
  if (w === undefined) throw new RangeError(`not a view id: ${JSON.stringify(viewId)}`);
  dv.setUint32(4, w[0]!);
  dv.setUint32(8, w[1]!);
  dv.setUint32(12, w[2]!);
  dv.setInt16(16, origType);
  let p = VS_HEADER_BYTES;
  if (group !== undefined) for (let i = 0; i < group.length; i++) buf[p++] = group.charCodeAt(i);
  return p;
}

/** A FLUSH_OK or FLUSH_RECV frame: its mess_type and body. Throws RangeError on a malformed view id (a caller bug). */
export function encodeControl(kind: 'flushOk' | 'flushRecv', viewId: ViewId): { messType: number; body: Uint8Array } {
  const body = new Uint8Array(VS_HEADER_BYTES);
  writeHeader(body, kind === 'flushOk' ? KIND_FLUSH_OK : KIND_FLUSH_RECV, 0, undefined, viewId, 0);
  return { messType: kind === 'flushOk' ? FLUSH_OK_MESS_TYPE : FLUSH_RECV_MESS_TYPE, body };
}

export interface DataHeaderFields {
  readonly origType: number;
  readonly tag?: ViewId;
  readonly group?: string;
}

/**
 * A DATA frame (header, then the payload pieces copied behind it). Throws RangeError on fields
 * the caller should have checked (type out of range, bad group name or view id).
 */
export function encodeData(f: DataHeaderFields, payload: readonly Uint8Array[]): { messType: number; body: Uint8Array } {
  if (!Number.isInteger(f.origType) || f.origType < FL_MIN_LEGAL_MESS_TYPE || f.origType > FL_MAX_LEGAL_MESS_TYPE)
    throw new RangeError(`message type ${f.origType} cannot be framed`);
  if (f.group !== undefined && !isGroupName(f.group)) throw new RangeError(`bad group name ${JSON.stringify(f.group)}`);
  let len = 0;
  for (const p of payload) len += p.length;
  const g = f.group?.length ?? 0;
  const body = new Uint8Array(VS_HEADER_BYTES + g + len);
  const flags = (f.tag === undefined ? 0 : FLAG_VULNERABLE) | (f.group === undefined ? 0 : FLAG_SUBGROUP);
  let p = writeHeader(body, KIND_DATA, flags, f.group, f.tag, f.origType);
  for (const piece of payload) {
    body.set(piece, p);
    p += piece.length;
  }
  return { messType: VS_DATA_MESS_TYPE, body };
}

function isGroupName(s: string): boolean {
  if (s.length < 1 || s.length > GROUP_NAME_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x24 || c > 0x7e) return false;
  }
  return true;
}

const fail = (reason: string): VsDecodeResult => ({ ok: false, reason });

/** Decodes the body of a data message whose mess_type is a VS type (see isVsMessType). Never throws. */
export function decodeVsFrame(messType: number, body: Uint8Array): VsDecodeResult {
  if (!isVsMessType(messType)) return fail(`mess_type ${messType} is not a VS frame type`);
  if (body.length < VS_HEADER_BYTES) return fail(`frame of ${body.length} bytes is shorter than the ${VS_HEADER_BYTES}-byte header`);
  if (body[0] !== VS_MAGIC_VERSION) return fail(`unknown magic/version byte 0x${body[0]!.toString(16)}`);
  const kind = body[1]!;
  const flags = body[2]!;
  const g = body[3]!;
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const w: [number, number, number] = [dv.getUint32(4), dv.getUint32(8), dv.getUint32(12)];
  const origType = dv.getInt16(16);
  const expected = kind === KIND_FLUSH_OK ? FLUSH_OK_MESS_TYPE : kind === KIND_FLUSH_RECV ? FLUSH_RECV_MESS_TYPE : kind === KIND_DATA ? VS_DATA_MESS_TYPE : undefined;
  if (expected === undefined) return fail(`unknown frame kind ${kind}`);
  if (expected !== messType) return fail(`frame kind ${kind} carried with mess_type ${messType}`);

  if (kind !== KIND_DATA) {
    if (flags !== 0 || g !== 0 || origType !== 0) return fail('control frame with data fields set');
    if (body.length !== VS_HEADER_BYTES) return fail(`control frame of ${body.length} bytes`);
    const viewId = viewIdFromWords(w);
    return { ok: true, frame: kind === KIND_FLUSH_OK ? { kind: 'flushOk', viewId } : { kind: 'flushRecv', viewId } };
  }

  if ((flags & ~(FLAG_VULNERABLE | FLAG_SUBGROUP)) !== 0) return fail(`unknown flags 0x${flags.toString(16)}`);
  const vulnerable = (flags & FLAG_VULNERABLE) !== 0;
  const subgroup = (flags & FLAG_SUBGROUP) !== 0;
  if (!vulnerable && (w[0] !== 0 || w[1] !== 0 || w[2] !== 0)) return fail('view id set on a frame that is not vulnerable');
  if (subgroup ? g < 1 || g > GROUP_NAME_MAX : g !== 0) return fail(`group name length ${g} with flags 0x${flags.toString(16)}`);
  if (body.length < VS_HEADER_BYTES + g) return fail('frame ends inside the group name');
  if (origType < FL_MIN_LEGAL_MESS_TYPE) return fail(`reserved original type ${origType}`);
  let group: string | undefined;
  if (subgroup) {
    let s = '';
    for (let i = 0; i < g; i++) {
      const c = body[VS_HEADER_BYTES + i]!;
      if (c < 0x24 || c > 0x7e) return fail(`byte 0x${c.toString(16)} in the group name`);
      s += String.fromCharCode(c);
    }
    group = s;
  }
  return {
    ok: true,
    frame: {
      kind: 'data',
      origType,
      tag: vulnerable ? viewIdFromWords(w) : undefined,
      group,
      payload: body.subarray(VS_HEADER_BYTES + g),
    },
  };
}
