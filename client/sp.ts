// The C API of libspread, for ported applications: numeric mailboxes, C return codes (negative =
// error), and receive with libspread's buffer semantics (spec 8.1 to 8.7). Calls that do I/O
// return promises of those codes; they never throw for protocol or network failures.
// C out-parameters are objects the call fills in (SpConnectOutputs, SpReceiveParams, ...).
import { resolveAddressInput, type SpreadAddressInput } from './address.ts';
import { NULL_AUTH, type AuthMethod } from './auth.ts';
import { checkGroupName, checkMulticast } from './checks.ts';
import { Connection } from './connection.ts';
import { hintOutputs, membershipBodyToLittleEndian, ownIndex, reportedServiceType, slotName } from './decode.ts';
import { errorText, SpreadError } from './errors.ts';
import type { TransportFactory } from './transport.ts';
import type { TlsClientOptions } from './transports/tls.ts';
import {
  ACCEPT_SESSION,
  BUFFER_TOO_SHORT,
  CAUSED_BY_DISCONNECT,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  CAUSED_BY_NETWORK,
  CONNECTION_CLOSED,
  DROP_RECV,
  GROUPS_TOO_SHORT,
  HEADER_BYTES,
  ILLEGAL_GROUP,
  ILLEGAL_MESSAGE,
  ILLEGAL_SESSION,
  ILLEGAL_SPREAD,
  ILLEGAL_TIME,
  JOIN_MESS,
  LEAVE_MESS,
  MEMBERSHIP_MESS,
  NET_ERROR_ON_SESSION,
  REG_MEMB_MESS,
  REJECT_MESS,
  REJECT_QUOTA,
  SELF_DISCARD,
  SPREAD_VERSION,
  isMembership,
  isRegular,
  isRegularMembership,
  isReject,
  isSelfLeave,
  isTransition,
  UNRELIABLE_MESS,
  RELIABLE_MESS,
  FIFO_MESS,
  CAUSAL_MESS,
  AGREED_MESS,
  SAFE_MESS,
} from './wire/constants.ts';
import { bodyOffset } from './wire/header.ts';
import { readName } from './wire/names.ts';

export * from './wire/constants.ts';

/** A connection handle, as libspread's `mailbox` (an int). */
export type Mailbox = number;

/** libspread's `sp_time`. */
export interface SpTime {
  sec: number;
  usec: number;
}

/** Outputs of SP_connect: the mailbox and the private group name. */
export interface SpConnectOutputs {
  mbox: Mailbox;
  privateGroup: string;
}

/** libspread's `group_id`: three 32-bit words, signed as C prints them. */
export interface SpGroupId {
  id: [number, number, number];
}

/** libspread's `vs_set_info`. */
export interface SpVsSetInfo {
  numMembers: number;
  /** Offset of the set's first name in the membership body. */
  membersOffset: number;
}

/** libspread's `membership_info`. */
export interface SpMembershipInfo {
  gid: SpGroupId;
  changedMember: string;
  numVsSets: number;
  myVsSet: SpVsSetInfo;
}

/**
 * The in/out parameters of SP_receive / SP_scat_receive, in C's order. On input `serviceType` is 0
 * or DROP_RECV and `maxGroups` bounds `groups`; everything else is output.
 */
export interface SpReceiveParams {
  serviceType: number;
  sender: string;
  maxGroups: number;
  numGroups: number;
  groups: string[];
  messType: number;
  endianMismatch: number;
}

export function newReceiveParams(maxGroups = 100): SpReceiveParams {
  return { serviceType: 0, sender: '', maxGroups, numGroups: 0, groups: [], messType: 0, endianMismatch: 0 };
}

export function newMembershipInfo(): SpMembershipInfo {
  return { gid: { id: [0, 0, 0] }, changedMember: '', numVsSets: 0, myVsSet: { numMembers: 0, membersOffset: 0 } };
}

/** Sessions per process, as libspread. */
export const MAX_LIB_SESSIONS = 1024;

interface Session {
  readonly conn: Connection;
  failed: boolean;
  /** The frame at the head of the queue had its header "read" by a short-buffer receive (8.2). */
  savedHeader: boolean;
  /** Receives run one at a time, in call order. */
  receiveChain: Promise<unknown>;
  receivesInFlight: number;
}

const sessions = new Map<Mailbox, Session>();
let nextMailbox = 3;
let authMethods: readonly AuthMethod[] = [NULL_AUTH];
let transportFactory: TransportFactory | undefined;
let tlsOptions: TlsClientOptions | undefined;

// ---- library settings ----

export function SP_version(): { major: number; minor: number; patch: number } {
  return { ...SPREAD_VERSION };
}

/** Uses `method` alone for the following connects (libspread's SP_set_auth_method). Returns 1. */
export function SP_set_auth_method(method: AuthMethod): number {
  authMethods = [method];
  return 1;
}

/** Uses up to three methods, in order, for the following connects. Returns 1, or 0 if the list is bad. */
export function SP_set_auth_methods(methods: readonly AuthMethod[]): number {
  if (methods.length === 0 || methods.length > 3) return 0;
  authMethods = [...methods];
  return 1;
}

/** Replaces the socket layer for the following connects (tests); undefined restores node:net. */
export function SP_set_transport_factory(factory: TransportFactory | undefined): void {
  transportFactory = factory;
}

/** Connects over TLS with these options from now on (the spread name then names the TLS port); undefined: plain TCP. */
export function SP_set_tls(options: TlsClientOptions | undefined): void {
  tlsOptions = options;
}

// ---- connect and disconnect ----

/** Connects without a timeout. Returns ACCEPT_SESSION (1) or a negative code. */
export function SP_connect(
  spreadName: SpreadAddressInput,
  privateName: string | null,
  priority: number | boolean,
  groupMembership: number | boolean,
  out: SpConnectOutputs,
): Promise<number> {
  return connectLow(spreadName, privateName, priority, groupMembership, out, undefined);
}

/** Connects, giving up with COULD_NOT_CONNECT after `timeout` (ILLEGAL_TIME if negative; 0 = none). */
export function SP_connect_timeout(
  spreadName: SpreadAddressInput,
  privateName: string | null,
  priority: number | boolean,
  groupMembership: number | boolean,
  out: SpConnectOutputs,
  timeout: SpTime,
): Promise<number> {
  if (!(timeout.sec >= 0) || !(timeout.usec >= 0)) return Promise.resolve(ILLEGAL_TIME);
  const ms = timeout.sec * 1000 + timeout.usec / 1000;
  return connectLow(spreadName, privateName, priority, groupMembership, out, ms > 0 ? ms : undefined);
}

async function connectLow(
  spreadName: SpreadAddressInput,
  privateName: string | null,
  priority: number | boolean,
  groupMembership: number | boolean,
  out: SpConnectOutputs,
  timeoutMs: number | undefined,
): Promise<number> {
  const parsed = resolveAddressInput(spreadName);
  if (!parsed.ok) return ILLEGAL_SPREAD;
  if (sessions.size >= MAX_LIB_SESSIONS) return REJECT_QUOTA;
  try {
    const conn = await Connection.open({
      address: parsed.address,
      privateName: privateName ?? '',
      membership: groupMembership === true || (typeof groupMembership === 'number' && groupMembership !== 0),
      priority: priority === true || (typeof priority === 'number' && priority >= 1),
      authMethods,
      timeoutMs,
      transportFactory,
      tls: tlsOptions,
    });
    const mbox = nextMailbox++;
    sessions.set(mbox, { conn, failed: false, savedHeader: false, receiveChain: Promise.resolve(), receivesInFlight: 0 });
    out.mbox = mbox;
    out.privateGroup = conn.privateGroup;
    return ACCEPT_SESSION;
  } catch (err) {
    return codeOf(err);
  }
}

/** Sends KILL_MESS and closes (spec 4.4). Returns 0, or ILLEGAL_SESSION. */
export async function SP_disconnect(mbox: Mailbox): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  sessions.delete(mbox);
  await s.conn.disconnect();
  return 0;
}

/** Closes the socket without a message (spec 4.5). */
export function SP_kill(mbox: Mailbox): void {
  const s = sessions.get(mbox);
  if (s === undefined) return;
  sessions.delete(mbox);
  s.conn.kill();
}

// ---- sending ----

/** Joins `group`. Returns 0 or a negative code; the result arrives as membership messages. */
export function SP_join(mbox: Mailbox, group: string): Promise<number> {
  return sendCommand(mbox, JOIN_MESS, group);
}

/** Leaves `group`. Returns 0 or a negative code. */
export function SP_leave(mbox: Mailbox, group: string): Promise<number> {
  return sendCommand(mbox, LEAVE_MESS, group);
}

async function sendCommand(mbox: Mailbox, command: number, group: string): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  if (checkGroupName(group) !== 0) return ILLEGAL_GROUP;
  if (s.failed) return NET_ERROR_ON_SESSION;
  try {
    await s.conn.sendCommand(command, group);
    return 0;
  } catch {
    s.failed = true;
    return CONNECTION_CLOSED;
  }
}

/** Multicasts the first `messLen` bytes of `mess` to one group. Returns `messLen` or a negative code. */
export function SP_multicast(mbox: Mailbox, serviceType: number, group: string, messType: number, messLen: number, mess: Uint8Array): Promise<number> {
  return SP_multigroup_multicast(mbox, serviceType, 1, [group], messType, messLen, mess);
}

/** Multicasts the concatenation of `scatter` to one group. */
export function SP_scat_multicast(mbox: Mailbox, serviceType: number, group: string, messType: number, scatter: readonly Uint8Array[]): Promise<number> {
  return SP_multigroup_scat_multicast(mbox, serviceType, 1, [group], messType, scatter);
}

/** Multicasts to the first `numGroups` names of `groups` (at most 100). */
export function SP_multigroup_multicast(
  mbox: Mailbox,
  serviceType: number,
  numGroups: number,
  groups: readonly string[],
  messType: number,
  messLen: number,
  mess: Uint8Array,
): Promise<number> {
  if (!Number.isInteger(messLen) || messLen < 0 || messLen > mess.length) return Promise.resolve(ILLEGAL_MESSAGE);
  return SP_multigroup_scat_multicast(mbox, serviceType, numGroups, groups, messType, [messLen === mess.length ? mess : mess.subarray(0, messLen)]);
}

/** Multicasts the concatenation of `scatter` to the first `numGroups` names of `groups`. */
export async function SP_multigroup_scat_multicast(
  mbox: Mailbox,
  serviceType: number,
  numGroups: number,
  groups: readonly string[],
  messType: number,
  scatter: readonly Uint8Array[],
): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  if (!Number.isInteger(numGroups) || numGroups < 0) return ILLEGAL_MESSAGE;
  const dests = numGroups === groups.length ? groups : groups.slice(0, numGroups);
  if (dests.length < numGroups) return ILLEGAL_GROUP;
  let dataLen = 0;
  for (const b of scatter) dataLen += b.length;
  const bad = checkMulticast(serviceType, dests, dataLen);
  if (bad !== 0) return bad;
  if (s.failed) return NET_ERROR_ON_SESSION;
  try {
    await s.conn.sendMessage(serviceType, dests, messType, scatter, dataLen);
    return dataLen;
  } catch {
    s.failed = true;
    return CONNECTION_CLOSED;
  }
}

// ---- receiving ----

/**
 * Receives one message into `mess` (at most `maxMessLen` bytes) with libspread's semantics
 * (spec 8.1 to 8.4): returns the body length, or BUFFER_TOO_SHORT / GROUPS_TOO_SHORT with the
 * needed sizes as negative `numGroups` / `endianMismatch` (the message stays for the next call
 * unless DROP_RECV was given), or CONNECTION_CLOSED, NET_ERROR_ON_SESSION, ILLEGAL_SESSION.
 */
export function SP_receive(mbox: Mailbox, p: SpReceiveParams, maxMessLen: number, mess: Uint8Array): Promise<number> {
  const len = Math.max(0, Math.min(maxMessLen, mess.length));
  return SP_scat_receive(mbox, p, [len === mess.length ? mess : mess.subarray(0, len)]);
}

/** SP_receive into a scatter: the body fills the elements in order. */
export function SP_scat_receive(mbox: Mailbox, p: SpReceiveParams, scatter: readonly Uint8Array[]): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return Promise.resolve(ILLEGAL_SESSION);
  // Receives run one after another; the common case, no receive in progress, skips the chain.
  const run = s.receivesInFlight === 0 ? receiveLow(s, p, scatter) : s.receiveChain.then(() => receiveLow(s, p, scatter));
  s.receivesInFlight++;
  s.receiveChain = run.then(
    () => void s.receivesInFlight--,
    () => void s.receivesInFlight--,
  );
  return run;
}

async function receiveLow(s: Session, p: SpReceiveParams, scatter: readonly Uint8Array[]): Promise<number> {
  if (s.failed) return NET_ERROR_ON_SESSION;
  const conn = s.conn;
  if (!conn.hasFrame) await conn.waitForFrame();
  const f = conn.peekFrame();
  if (f === undefined) {
    s.failed = true;
    const why = conn.failureReason ?? conn.endOfFrames;
    return why?.code === ILLEGAL_MESSAGE ? ILLEGAL_MESSAGE : CONNECTION_CLOSED;
  }
  const { bytes: frame, header: h } = f;
  const drop = (p.serviceType & DROP_RECV) !== 0;
  const maxGroups = Math.max(0, p.maxGroups);
  let maxLen = 0;
  for (const b of scatter) maxLen += b.length;

  // 8.2: too small without DROP_RECV: report the needed sizes and keep the message.
  if (!drop && (h.numGroups > maxGroups || h.dataLen > maxLen)) {
    s.savedHeader = true;
    p.serviceType = isReject(h.type) ? REJECT_MESS | (h.type & SELF_DISCARD) : h.type;
    p.sender = h.sender;
    p.numGroups = h.numGroups > maxGroups ? -h.numGroups : 0;
    p.endianMismatch = h.dataLen > maxLen ? -h.dataLen : 0;
    p.messType = isRegular(h.type) || isReject(h.type) ? hintOutputs(h).messType : 0;
    return h.numGroups > maxGroups ? GROUPS_TOO_SHORT : BUFFER_TOO_SHORT;
  }
  conn.shiftFrame();
  s.savedHeader = false;

  const hint = hintOutputs(h);
  p.messType = hint.messType;
  p.endianMismatch = hint.endianMismatch ? 1 : 0;
  p.sender = h.sender;
  const copied = Math.min(h.numGroups, maxGroups);
  p.groups.length = copied;
  for (let i = 0; i < copied; i++) p.groups[i] = slotName(frame, h, i);
  p.numGroups = copied < h.numGroups ? -h.numGroups : h.numGroups;

  if (isRegularMembership(h.type) && copied === h.numGroups) p.messType = ownIndex(frame, h, conn.privateGroup);
  membershipBodyToLittleEndian(frame, h);

  let off = bodyOffset(h);
  let remaining = Math.min(h.dataLen, maxLen);
  for (const target of scatter) {
    if (remaining === 0) break;
    const n = Math.min(remaining, target.length);
    target.set(frame.subarray(off, off + n));
    off += n;
    remaining -= n;
  }
  p.serviceType = reportedServiceType(frame, h);
  return h.dataLen > maxLen ? BUFFER_TOO_SHORT : h.dataLen;
}

/** Bytes received and not yet consumed by a receive (0 = nothing waiting), or ILLEGAL_SESSION. */
export function SP_poll(mbox: Mailbox): number {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  return Math.max(0, s.conn.unconsumedBytes - (s.savedHeader ? HEADER_BYTES : 0));
}

/** 1 if a whole message is waiting (a receive would not block), 0 if not, or ILLEGAL_SESSION. */
export function SP_message_waiting(mbox: Mailbox): number {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  return s.conn.hasFrame || s.conn.endOfFrames !== undefined ? 1 : 0;
}

/**
 * Resolves with 1 once a receive would not block (a message, or the end of the connection, is
 * waiting), 0 if `signal` aborts first, or ILLEGAL_SESSION. An extension for event loops.
 */
export async function SP_wait_message(mbox: Mailbox, signal?: AbortSignal): Promise<number> {
  const s = sessions.get(mbox);
  if (s === undefined) return ILLEGAL_SESSION;
  try {
    await s.conn.waitForFrame(signal);
    return 1;
  } catch {
    return 0;
  }
}

// ---- membership helpers (spec 8.5): bodies as SP_receive left them, integers little-endian ----

const view = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.length));
const concatScatter = (scatter: readonly Uint8Array[]): Buffer => Buffer.concat(scatter.map(view));

export function SP_equal_group_ids(g1: SpGroupId, g2: SpGroupId): number {
  return g1.id[0] === g2.id[0] && g1.id[1] === g2.id[1] && g1.id[2] === g2.id[2] ? 1 : 0;
}

/** Fills `info` from a membership body. Returns 1, or ILLEGAL_MESSAGE. */
export function SP_get_memb_info(membMess: Uint8Array, serviceType: number, info: SpMembershipInfo): number {
  if ((serviceType & MEMBERSHIP_MESS) === 0) return ILLEGAL_MESSAGE;
  const b = view(membMess);
  info.gid = { id: b.length >= 12 ? [b.readInt32LE(0), b.readInt32LE(4), b.readInt32LE(8)] : [0, 0, 0] };
  if ((serviceType & REG_MEMB_MESS) !== 0) {
    if (b.length < 20) return ILLEGAL_MESSAGE;
    if ((serviceType & (CAUSED_BY_JOIN | CAUSED_BY_LEAVE | CAUSED_BY_DISCONNECT)) !== 0) info.changedMember = b.length >= 56 ? readName(b, 24) : '';
    else info.changedMember = '';
    info.numVsSets = b.readUInt32LE(12);
    const p = 20 + b.readUInt32LE(16);
    if (p + 4 > b.length) return ILLEGAL_MESSAGE;
    info.myVsSet = { numMembers: b.readUInt32LE(p), membersOffset: p + 4 };
  } else {
    info.numVsSets = 0;
    info.myVsSet = { numMembers: 0, membersOffset: 0 };
  }
  return 1;
}

/**
 * Fills `vsSets` (capacity `numVsSets`) with every vs set of a regular membership body and
 * `out.myVsSetIndex` with the receiver's own set. Returns the number of sets, or BUFFER_TOO_SHORT.
 */
export function SP_get_vs_sets_info(membMess: Uint8Array, vsSets: SpVsSetInfo[], numVsSets: number, out: { myVsSetIndex: number }): number {
  const b = view(membMess);
  if (b.length < 20) return ILLEGAL_MESSAGE;
  const count = b.readUInt32LE(12);
  if (numVsSets < count) return BUFFER_TOO_SHORT;
  const mine = 20 + b.readUInt32LE(16);
  let p = 20;
  for (let i = 0; i < count; i++) {
    if (p + 4 > b.length) return ILLEGAL_MESSAGE;
    if (p === mine) out.myVsSetIndex = i;
    const k = b.readUInt32LE(p);
    vsSets[i] = { numMembers: k, membersOffset: p + 4 };
    p += 4 + 32 * k;
  }
  return count;
}

/** Copies the names of one vs set into `members` (capacity `membersLen`). Returns their number or BUFFER_TOO_SHORT. */
export function SP_get_vs_set_members(membMess: Uint8Array, vsSet: SpVsSetInfo, members: string[], membersLen: number): number {
  if (membersLen < vsSet.numMembers) return BUFFER_TOO_SHORT;
  const b = view(membMess);
  if (vsSet.membersOffset + 32 * vsSet.numMembers > b.length) return ILLEGAL_MESSAGE;
  for (let i = 0; i < vsSet.numMembers; i++) members[i] = readName(b, vsSet.membersOffset + 32 * i);
  return vsSet.numMembers;
}

export function SP_scat_get_memb_info(scatter: readonly Uint8Array[], serviceType: number, info: SpMembershipInfo): number {
  return SP_get_memb_info(concatScatter(scatter), serviceType, info);
}

export function SP_scat_get_vs_sets_info(scatter: readonly Uint8Array[], vsSets: SpVsSetInfo[], numVsSets: number, out: { myVsSetIndex: number }): number {
  return SP_get_vs_sets_info(concatScatter(scatter), vsSets, numVsSets, out);
}

export function SP_scat_get_vs_set_members(scatter: readonly Uint8Array[], vsSet: SpVsSetInfo, members: string[], membersLen: number): number {
  return SP_get_vs_set_members(concatScatter(scatter), vsSet, members, membersLen);
}

// ---- errors ----

/** libspread's SP_error text for a code, e.g. "SP_error: (-8) Connection closed by spread" (not printed). */
export function SP_error(error: number): string {
  return `SP_error: (${error}) ${errorText(error)}`;
}

function codeOf(err: unknown): number {
  if (err instanceof SpreadError && err.code !== undefined) return err.code;
  return CONNECTION_CLOSED;
}

// ---- libspread's classification macros ----

export const Is_unreliable_mess = (t: number): boolean => (t & UNRELIABLE_MESS) !== 0;
export const Is_reliable_mess = (t: number): boolean => (t & RELIABLE_MESS) !== 0;
export const Is_fifo_mess = (t: number): boolean => (t & FIFO_MESS) !== 0;
export const Is_causal_mess = (t: number): boolean => (t & CAUSAL_MESS) !== 0;
export const Is_agreed_mess = (t: number): boolean => (t & AGREED_MESS) !== 0;
export const Is_safe_mess = (t: number): boolean => (t & SAFE_MESS) !== 0;
export const Is_regular_mess = isRegular;
export const Is_selfdiscard_mess = (t: number): boolean => (t & SELF_DISCARD) !== 0;
export const Is_membership_mess = isMembership;
export const Is_reg_memb_mess = isRegularMembership;
export const Is_transition_mess = isTransition;
export const Is_caused_join_mess = (t: number): boolean => isMembership(t) && (t & CAUSED_BY_JOIN) !== 0;
export const Is_caused_leave_mess = (t: number): boolean => isMembership(t) && (t & CAUSED_BY_LEAVE) !== 0;
export const Is_caused_disconnect_mess = (t: number): boolean => isMembership(t) && (t & CAUSED_BY_DISCONNECT) !== 0;
export const Is_caused_network_mess = (t: number): boolean => isMembership(t) && (t & CAUSED_BY_NETWORK) !== 0;
export const Is_self_leave = isSelfLeave;
export const Is_reject_mess = isReject;
