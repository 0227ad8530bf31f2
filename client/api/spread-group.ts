// A group name, and for groups joined through a connection, the handle to leave it.
import { IllegalStateError } from '../errors.ts';

/** What a joined group needs from its connection (kept narrow to avoid a module cycle). */
export interface GroupOwner {
  leaveGroup(group: SpreadGroup): Promise<void>;
}

export class SpreadGroup {
  private owner: GroupOwner | undefined;

  /** A group (or private group) name; `owner` is set when the group was joined through it. */
  constructor(
    readonly name: string,
    owner?: GroupOwner,
  ) {
    this.owner = owner;
  }

  /** True while this object stands for a join made on a connection and not yet left. */
  get isJoined(): boolean {
    return this.owner !== undefined;
  }

  /** Leaves the group. Throws IllegalStateError if this object was not returned by join(). */
  async leave(): Promise<void> {
    const owner = this.owner;
    if (owner === undefined) throw new IllegalStateError(`group ${this.name} was not joined through this object`);
    await owner.leaveGroup(this);
    this.owner = undefined;
  }

  toString(): string {
    return this.name;
  }

  /** Same name (groups are equal by name, as in Java). */
  equals(other: SpreadGroup | string | null | undefined): boolean {
    if (other == null) return false;
    return typeof other === 'string' ? other === this.name : other.name === this.name;
  }
}
