// Named timer slots with "set replaces, cancel removes" semantics (design 1.5), on Node timers.
// The ring re-arms TOKEN_LOSS (and HURRY at the leader) on every packet, so re-arming must be
// cheap: a slot keeps its Node timer while the new deadline is later, and a timer that fires
// before its slot's deadline just re-arms itself for the rest.

interface Slot {
  handle: NodeJS.Timeout;
  /** When the Node timer fires. */
  due: number;
  /** When the slot is really due. */
  deadline: number;
}

export class NamedTimers<N extends string> {
  private readonly slots = new Map<N, Slot>();

  constructor(
    private readonly fire: (name: N) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  set(name: N, ms: number): void {
    const deadline = this.now() + Math.max(0, ms);
    const slot = this.slots.get(name);
    if (slot !== undefined && slot.due <= deadline) {
      slot.deadline = deadline;
      return;
    }
    if (slot !== undefined) clearTimeout(slot.handle);
    this.arm(name, deadline);
  }

  cancel(name: N): void {
    const slot = this.slots.get(name);
    if (slot === undefined) return;
    clearTimeout(slot.handle);
    this.slots.delete(name);
  }

  has(name: N): boolean {
    return this.slots.has(name);
  }

  clear(): void {
    for (const slot of this.slots.values()) clearTimeout(slot.handle);
    this.slots.clear();
  }

  private arm(name: N, deadline: number): void {
    const delay = Math.max(0, deadline - this.now());
    const slot: Slot = {
      handle: setTimeout(() => this.expired(name, slot), delay),
      due: deadline,
      deadline,
    };
    this.slots.set(name, slot);
  }

  private expired(name: N, slot: Slot): void {
    if (this.slots.get(name) !== slot) return;
    const left = slot.deadline - this.now();
    if (left > 0.5) {
      // re-armed later since this Node timer was set
      slot.due = slot.deadline;
      slot.handle = setTimeout(() => this.expired(name, slot), left);
      return;
    }
    this.slots.delete(name);
    this.fire(name);
  }
}
