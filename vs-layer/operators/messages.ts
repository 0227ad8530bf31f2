// The data messages of a group event stream, in delivery order (each carries its view id).
import { filter, map, type OperatorFunction } from 'rxjs';
import type { VsGroupEvent, VsMessage } from '../types.ts';

export function messages(): OperatorFunction<VsGroupEvent, VsMessage> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<VsGroupEvent, { kind: 'message' }> => e.kind === 'message'),
      map((e) => e.message),
    );
}
