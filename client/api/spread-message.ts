// A message to send or one received, in the spirit of Java's SpreadMessage. Outgoing messages
// start RELIABLE with no groups and no data, as in Java.
import { checkServiceType } from '../checks.ts';
import type { ReceivedFrame } from '../connection.ts';
import { hintOutputs, ownIndex, reportedServiceType, slotName } from '../decode.ts';
import { IllegalMessageError, IllegalServiceError } from '../errors.ts';
import {
  AGREED_MESS,
  CAUSAL_MESS,
  FIFO_MESS,
  RELIABLE_MESS,
  SAFE_MESS,
  SELF_DISCARD,
  UNRELIABLE_MESS,
  isMembership,
  isRegular,
  isRegularMembership,
  isReject,
} from '../wire/constants.ts';
import { bodyOffset } from '../wire/header.ts';
import { MembershipInfo } from './membership-info.ts';
import { SpreadGroup } from './spread-group.ts';

export type ServiceName = 'unreliable' | 'reliable' | 'fifo' | 'causal' | 'agreed' | 'safe';

export const SERVICE_BITS: Readonly<Record<ServiceName, number>> = {
  unreliable: UNRELIABLE_MESS,
  reliable: RELIABLE_MESS,
  fifo: FIFO_MESS,
  causal: CAUSAL_MESS,
  agreed: AGREED_MESS,
  safe: SAFE_MESS,
};

export interface SpreadMessageInit {
  readonly service?: ServiceName;
  readonly selfDiscard?: boolean;
  readonly groups?: ReadonlyArray<SpreadGroup | string>;
  readonly data?: Uint8Array | string;
  /** mess_type, 16 bits. */
  readonly type?: number;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const toInt16 = (n: number): number => (n << 16) >> 16;

export class SpreadMessage {
  private _serviceType: number = RELIABLE_MESS;
  private _groups: SpreadGroup[] = [];
  private _data: Uint8Array = EMPTY;
  private _type = 0;
  private readonly incoming: boolean;
  private readonly frame: ReceivedFrame | undefined;
  private _sender: SpreadGroup | undefined;
  private _endianMismatch = false;
  private groupsDecoded = true;
  private membershipInfo: MembershipInfo | undefined;

  constructor(init?: SpreadMessageInit) {
    this.incoming = false;
    this.frame = undefined;
    if (init === undefined) return;
    if (init.service !== undefined) this.setServiceType(SERVICE_BITS[init.service]);
    if (init.selfDiscard === true) this.setSelfDiscard(true);
    if (init.groups !== undefined) this.addGroups(init.groups);
    if (init.data !== undefined) this.setData(init.data);
    if (init.type !== undefined) this.setType(init.type);
  }

  /** A received message. `data` is a view into the received bytes (no copy). */
  static fromFrame(frame: ReceivedFrame, privateGroup: string): SpreadMessage {
    const m = Object.create(SpreadMessage.prototype) as SpreadMessage;
    const { bytes, header: h } = frame;
    const hint = hintOutputs(h);
    const start = bodyOffset(h);
    Object.assign(m, {
      _serviceType: reportedServiceType(bytes, h),
      _groups: [],
      _data: bytes.subarray(start, start + h.dataLen),
      _type: isRegularMembership(h.type) ? ownIndex(bytes, h, privateGroup) : hint.messType,
      incoming: true,
      frame,
      _sender: new SpreadGroup(h.sender),
      _endianMismatch: hint.endianMismatch,
      groupsDecoded: false,
      membershipInfo: undefined,
    });
    return m;
  }

  // ---- direction ----

  isIncoming(): boolean {
    return this.incoming;
  }

  isOutgoing(): boolean {
    return !this.incoming;
  }

  // ---- service type ----

  /** Service bits (received: as libspread reports them, e.g. old_type | REJECT_MESS for a reject). */
  get serviceType(): number {
    return this._serviceType;
  }

  set serviceType(t: number) {
    this.setServiceType(t);
  }

  getServiceType(): number {
    return this._serviceType;
  }

  /** Sets the whole service type: one service bit, optionally SELF_DISCARD. */
  setServiceType(t: number): this {
    const bits = t >>> 0;
    if (checkServiceType(bits) !== 0) throw new IllegalServiceError(bits);
    this._serviceType = bits;
    return this;
  }

  private setService(bit: number): this {
    this._serviceType = (this._serviceType & SELF_DISCARD) | bit;
    return this;
  }

  setUnreliable(): this {
    return this.setService(UNRELIABLE_MESS);
  }
  setReliable(): this {
    return this.setService(RELIABLE_MESS);
  }
  setFifo(): this {
    return this.setService(FIFO_MESS);
  }
  setCausal(): this {
    return this.setService(CAUSAL_MESS);
  }
  setAgreed(): this {
    return this.setService(AGREED_MESS);
  }
  setSafe(): this {
    return this.setService(SAFE_MESS);
  }

  /** The sender does not receive its own copy. */
  setSelfDiscard(on = true): this {
    this._serviceType = on ? this._serviceType | SELF_DISCARD : this._serviceType & ~SELF_DISCARD;
    return this;
  }

  isUnreliable(): boolean {
    return this.isRegular() && (this._serviceType & UNRELIABLE_MESS) !== 0;
  }
  isReliable(): boolean {
    return this.isRegular() && (this._serviceType & RELIABLE_MESS) !== 0;
  }
  isFifo(): boolean {
    return this.isRegular() && (this._serviceType & FIFO_MESS) !== 0;
  }
  isCausal(): boolean {
    return this.isRegular() && (this._serviceType & CAUSAL_MESS) !== 0;
  }
  isAgreed(): boolean {
    return this.isRegular() && (this._serviceType & AGREED_MESS) !== 0;
  }
  isSafe(): boolean {
    return this.isRegular() && (this._serviceType & SAFE_MESS) !== 0;
  }
  isSelfDiscard(): boolean {
    return (this._serviceType & SELF_DISCARD) !== 0;
  }

  /** A data message (not membership, not reject). */
  isRegular(): boolean {
    return isRegular(this._serviceType);
  }

  isMembership(): boolean {
    return isMembership(this._serviceType);
  }

  /** A message of ours the daemon refused and sent back (spec 5.7). */
  isReject(): boolean {
    return isReject(this._serviceType);
  }

  // ---- groups ----

  /** Destinations (received data: as the sender listed them; membership: the members). */
  get groups(): readonly SpreadGroup[] {
    if (!this.groupsDecoded) this.decodeGroups();
    return this._groups;
  }

  getGroups(): readonly SpreadGroup[] {
    return this.groups;
  }

  addGroup(group: SpreadGroup | string): this {
    if (!this.groupsDecoded) this.decodeGroups();
    this._groups.push(typeof group === 'string' ? new SpreadGroup(group) : group);
    return this;
  }

  addGroups(groups: ReadonlyArray<SpreadGroup | string>): this {
    for (const g of groups) this.addGroup(g);
    return this;
  }

  /** Names of the destinations. */
  get groupNames(): string[] {
    return this.groups.map((g) => g.name);
  }

  // ---- sender ----

  /** Sender's private group (data, reject) or the group (membership); undefined when outgoing. */
  get sender(): SpreadGroup | undefined {
    return this._sender;
  }

  getSender(): SpreadGroup | undefined {
    return this._sender;
  }

  // ---- data ----

  get data(): Uint8Array {
    return this._data;
  }

  set data(d: Uint8Array) {
    this.setData(d);
  }

  getData(): Uint8Array {
    return this._data;
  }

  /** Sets the body; a string is encoded as UTF-8. The bytes are referenced until sent. */
  setData(d: Uint8Array | string): this {
    this._data = typeof d === 'string' ? encoder.encode(d) : d;
    return this;
  }

  /** The body decoded as UTF-8. */
  get text(): string {
    return decoder.decode(this._data);
  }

  /** Sets the body to the JSON text of `value` (a convenience; Java uses serialization). */
  setObject(value: unknown): this {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError('value has no JSON form');
    return this.setData(json);
  }

  /** Parses the body as JSON. */
  getObject<T = unknown>(): T {
    return JSON.parse(decoder.decode(this._data)) as T;
  }

  // ---- mess_type, endianness, membership ----

  /** mess_type: the sender's 16-bit value; for a regular membership, our index in the member list. */
  get type(): number {
    return this._type;
  }

  set type(t: number) {
    this.setType(t);
  }

  getType(): number {
    return this._type;
  }

  /** Sets mess_type; kept as a signed 16-bit value like C's int16 and Java's short. */
  setType(t: number): this {
    if (!Number.isInteger(t) || t < -0x8000 || t > 0xffff) throw new RangeError(`message type ${t} does not fit 16 bits`);
    this._type = toInt16(t);
    return this;
  }

  /** True when the sender wrote in the other byte order than ours (little-endian). */
  get endianMismatch(): boolean {
    return this._endianMismatch;
  }

  getEndianMismatch(): boolean {
    return this._endianMismatch;
  }

  /** The membership details; throws IllegalMessageError if this is not a membership message. */
  getMembershipInfo(): MembershipInfo {
    if (this.membershipInfo !== undefined) return this.membershipInfo;
    if (this.frame === undefined || !this.isMembership()) throw new IllegalMessageError('not a membership message');
    this.membershipInfo = MembershipInfo.fromFrame(this.frame);
    return this.membershipInfo;
  }

  /** An outgoing copy with the same service, groups, data (shared bytes) and type. */
  clone(): SpreadMessage {
    const m = new SpreadMessage();
    m._serviceType = this.isRegular() ? this._serviceType : RELIABLE_MESS;
    m._groups = [...this.groups];
    m._data = this._data;
    m._type = this._type;
    return m;
  }

  private decodeGroups(): void {
    this.groupsDecoded = true;
    const f = this.frame;
    if (f === undefined) return;
    const out: SpreadGroup[] = [];
    for (let i = 0; i < f.header.numGroups; i++) out.push(new SpreadGroup(slotName(f.bytes, f.header, i)));
    this._groups = out;
  }
}
