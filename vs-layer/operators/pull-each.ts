// Paced processing: pulls one item from an async iterable, runs `project` on it to the end (a
// promise settling or an Observable completing), emits what the project emits, and only then
// pulls the next one. With a VS group's iterate() as the source, a slow project stops the reading
// of the daemon socket once the queue reaches its high-water mark, so nothing is lost and nothing
// piles up unbounded in RxJS buffers. Unsubscribing ends the iteration (iterator.return()).
import { from, isObservable, lastValueFrom, Observable, type ObservableInput } from 'rxjs';

export type PullProject<T, R> = (item: T, index: number) => ObservableInput<R> | void;

export function pullEach<T, R = never>(source: AsyncIterable<T>, project: PullProject<T, R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    const it = source[Symbol.asyncIterator]();
    let stopped = false;
    void (async () => {
      try {
        for (let i = 0; !stopped; i++) {
          const r = await it.next();
          if (r.done === true || stopped) break;
          const out = project(r.value, i);
          if (out === undefined || out === null) continue;
          const obs = isObservable(out) ? out : from(out);
          await lastValueFrom(
            new Observable<R>((inner) =>
              obs.subscribe({
                next: (v) => {
                  if (!stopped) subscriber.next(v);
                },
                error: (e: unknown) => inner.error(e),
                complete: () => inner.complete(),
              }),
            ),
            { defaultValue: undefined },
          );
        }
        if (!stopped) subscriber.complete();
      } catch (err) {
        if (!stopped) subscriber.error(err);
      }
    })();
    return () => {
      stopped = true;
      void it.return?.();
    };
  });
}
