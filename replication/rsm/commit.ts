// Commit index from PERSISTED reports ('quorum' durability, design 2.3) [core].
// An index is committed once a majority of the whole replica set reported, in the current view,
// a certified contiguous list reaching it.
export class CommitTracker {
  private readonly reports = new Map<string, number>();
  private view: string | undefined;

  constructor(private readonly replicas: readonly string[]) {}

  /** Starts a new view: reports from earlier views no longer count. */
  reset(view: string): void {
    this.view = view;
    this.reports.clear();
  }

  /** A PERSISTED(upTo) report from `from`, delivered in `view`. Returns the commit index. */
  report(view: string, from: string, upTo: number): number {
    if (view === this.view && this.replicas.includes(from)) {
      const prev = this.reports.get(from) ?? 0;
      if (upTo > prev) this.reports.set(from, upTo);
    }
    return this.commitIndex;
  }

  /** The largest index reported by a majority of the replica set (0 if none). */
  get commitIndex(): number {
    const need = Math.floor(this.replicas.length / 2) + 1;
    const values = [...this.reports.values()].sort((a, b) => b - a);
    return values.length >= need ? values[need - 1]! : 0;
  }
}
