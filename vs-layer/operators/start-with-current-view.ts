// A view stream that first replays the view installed when it is subscribed, so a late subscriber
// learns where the group stands. A view the source repeats right after the replay is skipped.
import { defer, distinctUntilChanged, startWith, type MonoTypeOperatorFunction } from 'rxjs';
import type { VsView } from '../types.ts';

export function startWithCurrentView(current: () => VsView | undefined): MonoTypeOperatorFunction<VsView> {
  return (source) =>
    defer(() => {
      const now = current();
      return now === undefined ? source : source.pipe(startWith(now), distinctUntilChanged((a, b) => a.id === b.id));
    });
}
