// The flush requests of a group event stream.
import { filter, map, type OperatorFunction } from 'rxjs';
import type { FlushRequest, VsGroupEvent } from '../types.ts';

export function flushRequests(): OperatorFunction<VsGroupEvent, FlushRequest> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<VsGroupEvent, { kind: 'flushRequest' }> => e.kind === 'flushRequest'),
      map((e) => e.request),
    );
}
