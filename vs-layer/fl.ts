// The C API of Spread's Flush library, for ported applications: numeric mailboxes, Flush's
// names and return codes (negative = error), FL_receive with libspread's buffer rules. Built on
// VsConnection (design 1.9.4); calls that do I/O return promises of codes and never throw for
// protocol or network failures.
//
// As in C: flushing is the application's job (FL_flush after a FLUSH_REQ_MESS; joiners flush
// by themselves), sending between FL_flush and the next view returns ILLEGAL_STATE, and FL_leave
// needs a JOINED group. Not provided: multigroup multicast (Flush has none: a message belongs to
// one group's views) and messages sent with plain SP calls to a private name (dropped, counted).
import type { SpreadAddressInput } from '../client/address.ts';
import { checkMulticast } from '../client/checks.ts';
import { SpreadError, errorText } from '../client/errors.ts';
import { SERVICE_BITS } from '../client/api/spread-message.ts';
import type { SpConnectOutputs, SpReceiveParams } from '../client/sp.ts';
import {
  ACCEPT_SESSION,
  BUFFER_TOO_SHORT,
  CAUSED_BY_DISCONNECT,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  CAUSED_BY_NETWORK,
  CONNECTION_CLOSED,
  DROP_RECV,
  ENDIAN_RESERVED,
  GROUPS_TOO_SHORT,
  ILLEGAL_GROUP,
  ILLEGAL_MESSAGE,
  ILLEGAL_SERVICE,
  ILLEGAL_SESSION,
  MEMBERSHIP_MESS,
  REG_MEMB_MESS,
  RESERVED,
  SELF_DISCARD,
  TRANSITION_MESS,
} from '../client/wire/constants.ts';
import {
  DONT_BLOCK,
  FL_ERROR_TEXT,
  FL_MAX_SCATTER_ELEMENTS,
  FL_VERSION,
  FLUSH_REQ_MESS,
  ILLEGAL_PARAM,
  ILLEGAL_STATE,
  SUBGROUP_CAST,
  WOULD_BLOCK,
} from './constants.ts';
import { VsConnection } from './connection.ts';
import { serviceOf } from './inbound.ts';
import type { ViewCause, VsGroupEvent, VsView } from './types.ts';

export * from './constants.ts';

/** A Flush connection handle (an int, as in C). */
export type FlMailbox = number;

/** FL_receive's parameters: SP_receive's, plus Flush's `more_msgs` output. */
export interface FlReceiveParams extends SpReceiveParams {
  /** Output: messages already buffered in the library after this one (FL_more_msgs). */
  moreMessages: number;
}

export function newFlReceiveParams(maxGroups = 100): FlReceiveParams {
  return { serviceType: 0, sender: '', maxGroups, numGroups: 0, groups: [], messType: 0, endianMismatch: 0, moreMessages: 0 };
}

/** One event as FL_receive hands it out. */
interface FlMessage {
  readonly serviceType: number;
  readonly sender: string;
  readonly groups: readonly string[];
  readonly messType: number;
  readonly body: Uint8Array;
}

interface FlSession {
  readonly vs: VsConnection;
  readonly events: AsyncIterableIterator<VsGroupEvent> & { readonly size: number };
  /** A message a too-short receive left for the next call (libspread's rule). */
  saved: FlMessage | undefined;
  chain: Promise<unknown>;
  closed: boolean;
}

const sessions = new Map<FlMailbox, FlSession>();
let nextMailbox = 1001;
let libInitialized = false;

// ---- library ----

/** Returns 0; ILLEGAL_STATE when called again (the C library's rule). */
export function FL_lib_init(): number {
  if (libInitialized) return ILLEGAL_STATE;
  libInitialized = true;
  return 0;
}

export function FL_version(): { major: number; minor: number; patch: number } {
  return { ...FL_VERSION };
}

/** Text for a Flush or Spread code (what FL_error prints), e.g. "FL_error: (-27) The group is not ...". */
export function FL_error(code: number): string {
  return `FL_error: (${code}) ${FL_ERROR_TEXT[code] ?? errorText(code)}`;
}

/** Offsets inside a regular membership body as FL_receive delivers it. */
export const FL_get_gid_offset_memb_mess = (): number => 0;
export const FL_get_num_vs_offset_memb_mess = (): number => 12;
export const FL_get_vs_set_offset_memb_mess = (): number => 16;

// ---- connect and disconnect ----

/** Connects (membership messages always on). Returns ACCEPT_SESSION (1) or a negative code. */
export async function FL_connect(spreadName: SpreadAddressInput, privateName: string | null, priority: number | boolean, out: SpConnectOutputs): Promise<number> {
  try {
    const vs = await VsConnection.connect({
      spread: spreadName,
      privateName: privateName ?? '',
      priority: priority === true || (typeof priority === 'number' && priority >= 1),
      flush: { mode: 'manual' },
      sendWhileFlushed: 'reject',
    });
    const mbox = nextMailbox++;
    sessions.set(mbox, { vs, events: vs.iterate(), saved: undefined, chain: Promise.resolve(), closed: false });
    out.mbox = mbox;
    out.privateGroup = vs.privateName;
    return ACCEPT_SESSION;
  } catch (err) {
    return codeOf(err);
  }
}

/** Drops every group and buffered message and closes. Returns 0 or ILLEGAL_SESSION. */
export async function FL_disconnect(mbox: FlMailbox): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  sessions.delete(mbox);
  s.closed = true;
  await s.vs.close();
  return 0;
}

// ---- groups ----

/** Joins; the views arrive through FL_receive. 0, ILLEGAL_GROUP (bad name, or already joined), ILLEGAL_SESSION, CONNECTION_CLOSED. */
export async function FL_join(mbox: FlMailbox, group: string): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  try {
    await s.vs.join(group, { bufferUntilSubscribed: false });
    return 0;
  } catch (err) {
    return codeOf(err);
  }
}

/** Leaves a JOINED group (the self-leave arrives through FL_receive). 0, ILLEGAL_GROUP, ILLEGAL_STATE. */
export async function FL_leave(mbox: FlMailbox, group: string): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  const g = s.vs.group(group);
  if (g === undefined) return ILLEGAL_GROUP;
  if (g.joinState !== 'joined') return ILLEGAL_STATE;
  g.leave().catch(() => {});
  return 0;
}

/** Answers the pending flush request of `group`, once. 0, ILLEGAL_STATE, ILLEGAL_GROUP. */
export async function FL_flush(mbox: FlMailbox, group: string): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  const g = s.vs.group(group);
  if (g === undefined) return ILLEGAL_GROUP;
  if (g.viewPhase !== 'authorize' || g.joinState === 'leaving') return ILLEGAL_STATE;
  try {
    await g.flush();
    return 0;
  } catch (err) {
    return codeOf(err);
  }
}

// ---- sending ----

export function FL_multicast(mbox: FlMailbox, serviceType: number, group: string, messType: number, messLen: number, mess: Uint8Array): Promise<number> {
  return sendLow(mbox, serviceType, group, undefined, messType, bytes(messLen, mess));
}

export function FL_scat_multicast(mbox: FlMailbox, serviceType: number, group: string, messType: number, scatter: readonly Uint8Array[]): Promise<number> {
  return sendLow(mbox, serviceType, group, undefined, messType, scatter);
}

/** To one member of the last installed view (its private group name). */
export function FL_unicast(mbox: FlMailbox, serviceType: number, group: string, receiver: string, messType: number, messLen: number, mess: Uint8Array): Promise<number> {
  return sendLow(mbox, serviceType, group, [receiver], messType, bytes(messLen, mess));
}

export function FL_scat_unicast(mbox: FlMailbox, serviceType: number, group: string, receiver: string, messType: number, scatter: readonly Uint8Array[]): Promise<number> {
  return sendLow(mbox, serviceType, group, [receiver], messType, scatter);
}

/** To the first `numRecvs` names of `receivers`, all members of the last installed view. */
export function FL_subgroupcast(
  mbox: FlMailbox,
  serviceType: number,
  group: string,
  numRecvs: number,
  receivers: readonly string[],
  messType: number,
  messLen: number,
  mess: Uint8Array,
): Promise<number> {
  if (!Number.isInteger(numRecvs) || numRecvs < 1 || numRecvs > receivers.length) return Promise.resolve(ILLEGAL_PARAM);
  return sendLow(mbox, serviceType, group, receivers.slice(0, numRecvs), messType, bytes(messLen, mess));
}

export function FL_scat_subgroupcast(
  mbox: FlMailbox,
  serviceType: number,
  group: string,
  numRecvs: number,
  receivers: readonly string[],
  messType: number,
  scatter: readonly Uint8Array[],
): Promise<number> {
  if (!Number.isInteger(numRecvs) || numRecvs < 1 || numRecvs > receivers.length) return Promise.resolve(ILLEGAL_PARAM);
  return sendLow(mbox, serviceType, group, receivers.slice(0, numRecvs), messType, scatter);
}

function bytes(messLen: number, mess: Uint8Array): readonly Uint8Array[] | undefined {
  if (!Number.isInteger(messLen) || messLen < 0 || messLen > mess.length) return undefined;
  return [messLen === mess.length ? mess : mess.subarray(0, messLen)];
}

async function sendLow(
  mbox: FlMailbox,
  serviceType: number,
  group: string,
  receivers: readonly string[] | undefined,
  messType: number,
  scatter: readonly Uint8Array[] | undefined,
): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  if (scatter === undefined) return ILLEGAL_MESSAGE;
  if (scatter.length > FL_MAX_SCATTER_ELEMENTS) return ILLEGAL_PARAM;
  // Flush refuses flush, membership and reserved bits outright, then Spread's own checks apply.
  if ((serviceType & (FLUSH_REQ_MESS | MEMBERSHIP_MESS | ENDIAN_RESERVED | RESERVED)) !== 0) return ILLEGAL_SERVICE;
  const service = serviceOf(serviceType);
  if (service === undefined) return ILLEGAL_SERVICE;
  let len = 0;
  for (const b of scatter) len += b.length;
  const bad = checkMulticast(serviceType & ~SUBGROUP_CAST, receivers ?? [group], len);
  if (bad !== 0) return bad;
  const g = s.vs.group(group);
  if (g === undefined) return ILLEGAL_GROUP;
  if (g.joinState !== 'joined') return ILLEGAL_STATE;
  try {
    const options = { service, type: messType, selfDiscard: (serviceType & SELF_DISCARD) !== 0 };
    await (receivers === undefined ? g.send(scatter, options) : g.sendTo(receivers, scatter, options));
    return len;
  } catch (err) {
    return codeOf(err);
  }
}

// ---- receiving ----

/**
 * Receives one event into `mess`: a data message, a flush request (FLUSH_REQ_MESS, sender = the
 * group), a view (REG_MEMB_MESS + cause; groups = members; mess_type = my index; body = view id,
 * vs set count, vs set names), a transitional signal, or a self-leave. `p.serviceType` may carry
 * DONT_BLOCK (return WOULD_BLOCK when nothing is buffered) and DROP_RECV (truncate). Short buffers
 * without DROP_RECV: BUFFER_TOO_SHORT / GROUPS_TOO_SHORT with the needed sizes as negative
 * endianMismatch / numGroups, and the message stays for the next call.
 */
export function FL_receive(mbox: FlMailbox, p: FlReceiveParams, maxMessLen: number, mess: Uint8Array): Promise<number> {
  const len = Math.max(0, Math.min(maxMessLen, mess.length));
  return FL_scat_receive(mbox, p, [len === mess.length ? mess : mess.subarray(0, len)]);
}

export function FL_scat_receive(mbox: FlMailbox, p: FlReceiveParams, scatter: readonly Uint8Array[]): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return Promise.resolve(ILLEGAL_SESSION);
  const run = s.chain.then(() => receiveLow(s, p, scatter));
  s.chain = run.catch(() => undefined);
  return run;
}

/** Complete messages buffered in the library (a receive would not wait). */
export function FL_more_msgs(mbox: FlMailbox): number {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  return s.events.size + (s.saved === undefined ? 0 : 1);
}

/** Activity in bytes: buffered messages and unread socket data. Not proof that a message is ready. */
export function FL_poll(mbox: FlMailbox): number {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  let n = s.saved === undefined ? 0 : 48 + s.saved.body.length;
  n += 48 * s.events.size;
  if (s.vs.spread.poll()) n += 48;
  return n;
}

async function receiveLow(s: FlSession, p: FlReceiveParams, scatter: readonly Uint8Array[]): Promise<number> {
  const dontBlock = (p.serviceType & DONT_BLOCK) !== 0;
  const drop = (p.serviceType & DROP_RECV) !== 0;
  let m = s.saved;
  if (m === undefined) {
    if (s.closed) return ILLEGAL_SESSION;
    if (dontBlock && s.events.size === 0) return s.vs.isOpen ? WOULD_BLOCK : CONNECTION_CLOSED;
    let r: IteratorResult<VsGroupEvent>;
    try {
      r = await s.events.next();
    } catch {
      return CONNECTION_CLOSED;
    }
    if (r.done === true) return CONNECTION_CLOSED;
    m = toFlMessage(r.value, s.vs.privateName);
  }
  const maxGroups = Math.max(0, p.maxGroups);
  let maxLen = 0;
  for (const b of scatter) maxLen += b.length;
  p.serviceType = m.serviceType;
  p.sender = m.sender;
  p.messType = m.messType;
  if (!drop && (m.groups.length > maxGroups || m.body.length > maxLen)) {
    s.saved = m;
    p.numGroups = m.groups.length > maxGroups ? -m.groups.length : 0;
    p.endianMismatch = m.body.length > maxLen ? -m.body.length : 0;
    p.moreMessages = s.events.size + 1;
    return m.groups.length > maxGroups ? GROUPS_TOO_SHORT : BUFFER_TOO_SHORT;
  }
  s.saved = undefined;
  const copied = Math.min(m.groups.length, maxGroups);
  p.groups.length = copied;
  for (let i = 0; i < copied; i++) p.groups[i] = m.groups[i]!;
  p.numGroups = copied < m.groups.length ? -m.groups.length : m.groups.length;
  p.endianMismatch = 0;
  let off = 0;
  let remaining = Math.min(m.body.length, maxLen);
  for (const target of scatter) {
    if (remaining === 0) break;
    const n = Math.min(remaining, target.length);
    target.set(m.body.subarray(off, off + n));
    off += n;
    remaining -= n;
  }
  p.moreMessages = s.events.size;
  return m.body.length > maxLen ? BUFFER_TOO_SHORT : m.body.length;
}

const CAUSE_BITS: Readonly<Record<ViewCause, number>> = {
  join: CAUSED_BY_JOIN,
  leave: CAUSED_BY_LEAVE,
  disconnect: CAUSED_BY_DISCONNECT,
  network: CAUSED_BY_NETWORK,
};

/** A VS event in FL_receive's terms (design 1.4). */
function toFlMessage(e: VsGroupEvent, self: string): FlMessage {
  switch (e.kind) {
    case 'message': {
      const m = e.message;
      const sub = m.receivers !== undefined;
      return {
        serviceType: SERVICE_BITS[m.service] | (sub ? SUBGROUP_CAST : 0),
        sender: m.sender,
        groups: sub ? [...m.receivers!, m.group] : [m.group],
        messType: m.type,
        body: m.payload,
      };
    }
    case 'view':
      return { serviceType: REG_MEMB_MESS | CAUSE_BITS[e.view.cause], sender: e.group, groups: e.view.members, messType: e.view.myIndex, body: viewBody(e.view, self) };
    case 'transitional':
      return { serviceType: TRANSITION_MESS, sender: e.group, groups: [], messType: 0, body: new Uint8Array(0) };
    case 'flushRequest':
      return { serviceType: FLUSH_REQ_MESS, sender: e.group, groups: [], messType: 0, body: new Uint8Array(0) };
    case 'left':
      return { serviceType: CAUSED_BY_LEAVE, sender: e.group, groups: [], messType: 0, body: new Uint8Array(0) };
  }
}

/**
 * A view's body as Flush delivers it, little-endian: group id (3 x i32), number of names (u32),
 * then 32-byte names: the joiner or leaver for a single join/leave/disconnect, otherwise the
 * members that came with me from my previous view.
 */
function viewBody(v: VsView, self: string): Uint8Array {
  const names = v.delta !== undefined ? [v.delta] : v.cameWithMe.length > 0 ? v.cameWithMe : [self];
  const b = Buffer.alloc(16 + 32 * names.length);
  b.writeInt32LE(v.groupId[0] | 0, 0);
  b.writeInt32LE(v.groupId[1] | 0, 4);
  b.writeInt32LE(v.groupId[2] | 0, 8);
  b.writeUInt32LE(names.length, 12);
  names.forEach((n, i) => b.write(n.slice(0, 31), 16 + 32 * i, 'latin1'));
  return b;
}

function codeOf(err: unknown): number {
  if (err instanceof SpreadError && err.code !== undefined) return err.code;
  return CONNECTION_CLOSED;
}
