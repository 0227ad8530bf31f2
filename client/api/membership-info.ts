// What a membership message says (spec 5.2 to 5.5), parsed in the daemon's byte order.
import { IllegalMessageError } from '../errors.ts';
import type { ReceivedFrame } from '../connection.ts';
import { slotName } from '../decode.ts';
import {
  CAUSED_BY_DISCONNECT,
  CAUSED_BY_JOIN,
  CAUSED_BY_LEAVE,
  CAUSED_BY_NETWORK,
  isRegularMembership,
  isSelfLeave,
  isTransition,
} from '../wire/constants.ts';
import { bodyOffset } from '../wire/header.ts';
import { readGroupId, readMembershipBody } from '../wire/membership.ts';
import { GroupID } from './group-id.ts';
import { SpreadGroup } from './spread-group.ts';

/** Members that came through a membership change together (spec 5.3). */
export class VirtualSynchronySet {
  constructor(readonly members: readonly SpreadGroup[]) {}

  get size(): number {
    return this.members.length;
  }

  getMembers(): readonly SpreadGroup[] {
    return this.members;
  }

  getSize(): number {
    return this.members.length;
  }
}

export interface MembershipInfoFields {
  readonly serviceType: number;
  readonly group: SpreadGroup;
  /** Regular memberships and transitional signals; undefined for a self-leave. */
  readonly groupId: GroupID | undefined;
  readonly members: readonly SpreadGroup[];
  readonly vsSets: readonly VirtualSynchronySet[];
  /** Index of the receiver's own set in vsSets, -1 if none. */
  readonly myVsSetIndex: number;
}

export class MembershipInfo {
  constructor(private readonly f: MembershipInfoFields) {}

  /** Parses a membership frame; throws IllegalMessageError for a malformed body. */
  static fromFrame(frame: ReceivedFrame): MembershipInfo {
    const { bytes, header: h } = frame;
    const type = h.type;
    const group = new SpreadGroup(h.sender);
    const off = bodyOffset(h);
    if (isRegularMembership(type)) {
      const body = readMembershipBody(bytes, off, h.dataLen, h.littleEndian);
      if (body === undefined) throw new IllegalMessageError(`malformed membership body for group ${h.sender}`);
      const members: SpreadGroup[] = [];
      for (let i = 0; i < h.numGroups; i++) members.push(new SpreadGroup(slotName(bytes, h, i)));
      return new MembershipInfo({
        serviceType: type,
        group,
        groupId: GroupID.fromWire(body.groupId),
        members,
        vsSets: body.vsSets.map((s) => new VirtualSynchronySet(s.map((n) => new SpreadGroup(n)))),
        myVsSetIndex: body.myVsSetIndex,
      });
    }
    if (isTransition(type)) {
      if (h.dataLen < 12) throw new IllegalMessageError(`transitional message for ${h.sender} without a group id`);
      return new MembershipInfo({
        serviceType: type,
        group,
        groupId: GroupID.fromWire(readGroupId(bytes, off, h.littleEndian)),
        members: [],
        vsSets: [],
        myVsSetIndex: -1,
      });
    }
    if (isSelfLeave(type)) return new MembershipInfo({ serviceType: type, group, groupId: undefined, members: [], vsSets: [], myVsSetIndex: -1 });
    throw new IllegalMessageError(`not a membership message: type 0x${type.toString(16)}`);
  }

  get serviceType(): number {
    return this.f.serviceType;
  }

  isRegularMembership(): boolean {
    return isRegularMembership(this.f.serviceType);
  }

  isTransition(): boolean {
    return isTransition(this.f.serviceType);
  }

  isSelfLeave(): boolean {
    return isSelfLeave(this.f.serviceType);
  }

  isCausedByJoin(): boolean {
    return this.isRegularMembership() && (this.f.serviceType & CAUSED_BY_JOIN) !== 0;
  }

  isCausedByLeave(): boolean {
    return this.isRegularMembership() && (this.f.serviceType & CAUSED_BY_LEAVE) !== 0;
  }

  isCausedByDisconnect(): boolean {
    return this.isRegularMembership() && (this.f.serviceType & CAUSED_BY_DISCONNECT) !== 0;
  }

  isCausedByNetwork(): boolean {
    return this.isRegularMembership() && (this.f.serviceType & CAUSED_BY_NETWORK) !== 0;
  }

  /** The group whose membership changed. */
  getGroup(): SpreadGroup {
    return this.f.group;
  }

  /** The new view's id (regular), the id of the view being left (transitional), undefined (self-leave). */
  getGroupID(): GroupID | undefined {
    return this.f.groupId;
  }

  /** Members after the change, in the daemon's order (empty unless regular). */
  getMembers(): readonly SpreadGroup[] {
    return this.f.members;
  }

  /** The joiner, for a membership caused by a join. */
  getJoined(): SpreadGroup | undefined {
    return this.isCausedByJoin() ? this.changedMember() : undefined;
  }

  /** The member that left, for a membership caused by a leave. */
  getLeft(): SpreadGroup | undefined {
    return this.isCausedByLeave() ? this.changedMember() : undefined;
  }

  /** The member that disconnected, for a membership caused by a disconnect. */
  getDisconnected(): SpreadGroup | undefined {
    return this.isCausedByDisconnect() ? this.changedMember() : undefined;
  }

  /** Members of the receiver's own vs set (Java's deprecated getStayed). */
  getStayed(): readonly SpreadGroup[] {
    return this.getMyVirtualSynchronySet()?.members ?? [];
  }

  getVirtualSynchronySets(): readonly VirtualSynchronySet[] {
    return this.f.vsSets;
  }

  getMyVirtualSynchronySet(): VirtualSynchronySet | undefined {
    return this.f.myVsSetIndex >= 0 ? this.f.vsSets[this.f.myVsSetIndex] : undefined;
  }

  /** Index of the receiver's own vs set, -1 if none. */
  getMyVirtualSynchronySetIndex(): number {
    return this.f.myVsSetIndex;
  }

  private changedMember(): SpreadGroup | undefined {
    return this.f.vsSets[0]?.members[0];
  }
}
