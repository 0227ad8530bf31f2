// A KV replica in its own process for kill -9 tests: writes keys w/<n> in a loop and prints
// each acknowledged key as a JSON line. Args: replicaId spread dataDir replicas(comma)
import { KvStore } from '../../../replication/kv/index.ts';

const [id, spread, dataDir, replicas] = process.argv.slice(2) as [string, string, string, string];
const kv = await KvStore.open({ replicaId: id, replicas: replicas.split(','), spread, dataDir, group: 'kvt', janitorIntervalMs: 0, submitTimeoutMs: 10_000, ...(process.env.RSM_LOG ? { log: (l: string) => console.error(`child ${l}`) } : {}) });
await kv.rsm.whenPrimary(30_000);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const value = new TextEncoder().encode('v');
for (let n = 0; ; n++) {
  const key = `w/${id}/${n}`;
  try {
    await kv.put(key, value);
    process.stdout.write(`${JSON.stringify({ acked: key })}\n`);
  } catch {
    // not acknowledged
  }
}
