// Ends a group event stream with the group: the 'left' event is emitted, then the stream completes.
import { takeWhile, type MonoTypeOperatorFunction } from 'rxjs';
import type { VsGroupEvent } from '../types.ts';

export function completeOnLeft<E extends Pick<VsGroupEvent, 'kind'>>(): MonoTypeOperatorFunction<E> {
  return takeWhile((e: E) => e.kind !== 'left', true);
}
