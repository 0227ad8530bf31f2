// The installed views of a group event stream, in order.
import { filter, map, type OperatorFunction } from 'rxjs';
import type { VsGroupEvent, VsView } from '../types.ts';

export function views(): OperatorFunction<VsGroupEvent, VsView> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<VsGroupEvent, { kind: 'view' }> => e.kind === 'view'),
      map((e) => e.view),
    );
}
