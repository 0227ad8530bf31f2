// Pairs each message with the view it was delivered in (the last view seen on the stream), for
// consumers that need the interleaving the separate views$/messages$ projections lose.
import { concatMap, EMPTY, of, type OperatorFunction } from 'rxjs';
import type { VsGroupEvent, VsMessage, VsView } from '../types.ts';

export interface MessageInView {
  readonly view: VsView;
  readonly message: VsMessage;
}

export function withView(): OperatorFunction<VsGroupEvent, MessageInView> {
  return (source) => {
    const last = new Map<string, VsView>(); // per group, so a connection-wide stream works too
    return source.pipe(
      concatMap((e) => {
        if (e.kind === 'view') last.set(e.group, e.view);
        if (e.kind !== 'message') return EMPTY;
        const view = last.get(e.group);
        return view === undefined || view.id !== e.message.viewId ? EMPTY : of({ view, message: e.message });
      }),
    );
  };
}
