// A group id (spec 5.3): identifies one view of a group. Applications only compare them.
import type { GroupId as WireGroupId } from '../wire/membership.ts';

export class GroupID {
  /** The three words, as signed 32-bit integers (as C and Java print them). */
  readonly id: readonly [number, number, number];

  constructor(id1: number, id2: number, id3: number) {
    this.id = [id1 | 0, id2 | 0, id3 | 0];
  }

  static fromWire(g: WireGroupId): GroupID {
    return new GroupID(g.procId, g.time, g.index);
  }

  getIDs(): readonly [number, number, number] {
    return this.id;
  }

  equals(other: GroupID | null | undefined): boolean {
    return other != null && this.id[0] === other.id[0] && this.id[1] === other.id[1] && this.id[2] === other.id[2];
  }

  /** "id1 id2 id3", as Java's GroupID.toString and spuser's "grp id is" line. */
  toString(): string {
    return `${this.id[0]} ${this.id[1]} ${this.id[2]}`;
  }
}
