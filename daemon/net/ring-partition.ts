// The partition vector (design 9.3): one cell number per configured daemon, in configuration
// order. A daemon drops every datagram whose transmitter (the last hop) is in another cell than
// its own. Pure: the UDP driver and the simulator apply the same rule.

/** Cells by configuration index; undefined = no partition (everybody in cell 0). */
export type PartitionCells = ReadonlyArray<number>;

/** True when a datagram from the daemon at configuration index `transmitter` may reach the one at `me`. */
export function sameCell(cells: PartitionCells | undefined, me: number, transmitter: number): boolean {
  if (cells === undefined) return true;
  return (cells[me] ?? 0) === (cells[transmitter] ?? 0);
}

/** Checks a partition vector against the number of configured daemons; returns why it is wrong. */
export function partitionProblem(cells: PartitionCells, daemons: number): string | undefined {
  if (cells.length !== daemons) return `partition of ${cells.length} cells for ${daemons} daemons`;
  for (const c of cells) if (!Number.isInteger(c) || c < 0 || c > 0xffff) return `cell number ${c}`;
  return undefined;
}
