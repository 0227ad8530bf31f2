// Replicated key-value store on the RSM (design section 3).
export { KvStore, type KvEntry, type KvEvent, type KvOp, type KvGuard, type KvReadOptions, type KvWriteOptions, type KvStoreOptions, type ReadMeta } from './store.ts';
export { kvMachine, applyKv, keysOf, validateCommand, KvKeyError, KvValueTooLargeError, MAX_KEY_BYTES, type KvCommand, type StoredEntry } from './commands.ts';
