// A KV replica in its own process, driven over the IPC channel by replica-process.ts, so that
// kill -9 hits a real replica process while the clients (and their history clock) stay in the
// test process. Args: replicaId spread dataDir replicas(comma) group
// In: { id, op: 'put' | 'get' | 'cas' | 'keys' | 'close', ... }. Out: { id, ok: true, result } or
// { id, ok: false, name, message } (name = the error's class), and { status } on status changes.
import { auditTime } from 'rxjs';
import type { ReadConsistency } from '../../../replication/rsm/index.ts';
import { kvCalls, openReplicaStore } from './kv-replica.ts';

export type ServerRequest =
  | { readonly id: number; readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly id: number; readonly op: 'get'; readonly key: string; readonly consistency: ReadConsistency | undefined }
  | { readonly id: number; readonly op: 'cas'; readonly key: string; readonly expect: string | null; readonly value: string }
  | { readonly id: number; readonly op: 'keys'; readonly prefix: string; readonly consistency: ReadConsistency | undefined }
  | { readonly id: number; readonly op: 'close' };

const [id, spread, dataDir, replicas, group] = process.argv.slice(2) as [string, string, string, string, string];
const send = (m: unknown): void => {
  if (process.connected) process.send!(m);
};
process.on('disconnect', () => process.exit(0)); // the test process is gone

const kv = await openReplicaStore({ id, spread, dataDir, replicas: replicas.split(','), group });
const calls = kvCalls(kv);
kv.rsm.status$.pipe(auditTime(30)).subscribe((status) => send({ status }));

async function handle(r: ServerRequest): Promise<unknown> {
  switch (r.op) {
    case 'put':
      return calls.put(r.key, r.value);
    case 'get':
      return calls.get(r.key, r.consistency);
    case 'cas':
      return calls.cas(r.key, r.expect, r.value);
    case 'keys':
      return calls.keys(r.prefix, r.consistency);
    case 'close':
      await kv.close();
      setImmediate(() => process.exit(0));
      return {};
  }
}

process.on('message', (r: ServerRequest) => {
  handle(r).then(
    (result) => send({ id: r.id, ok: true, result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      send({ id: r.id, ok: false, name: e.name, message: e.message });
    },
  );
});
send({ ready: true });
