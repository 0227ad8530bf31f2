// Small state machines for RSM tests.
import type { StateMachine, Json } from '../../../replication/rsm/index.ts';

export type CounterCommand = { op: 'add'; key: string; by: number } | { op: 'append'; key: string; item: string } | { op: 'boom' } | { op: string };

/** Counters and append-only lists, whole state in memory. */
export const counterMachine: StateMachine<Json, Json> = {
  name: 'counter',
  initialState: { total: 0 },
  apply(draft, command) {
    const c = command as { op: string; key?: string; by?: number; item?: string };
    switch (c.op) {
      case 'add': {
        const k = c.key!;
        const v = ((draft[k] as number | undefined) ?? 0) + c.by!;
        draft[k] = v;
        draft.total = (draft.total as number) + c.by!;
        return v;
      }
      case 'append': {
        const k = c.key!;
        const list = (draft[k] as Json[] | undefined) ?? [];
        list.push(c.item!);
        draft[k] = list;
        return list.length;
      }
      case 'boom':
        throw new Error('boom');
      default:
        throw new Error(`unknown command ${JSON.stringify(c.op)}`);
    }
  },
};
