// Replicated state machine over the EVS client (design section 2).
//
// Why the EVS client and not vs-layer: the RSM needs from its transport exactly what Spread's
// EVS client already gives: one total order for Safe/Agreed messages, membership messages in
// that order, and the transitional signal that ends the Safe guarantee of the old view. The
// RSM then runs its own state exchange (STATE/COMMIT/READY, all Safe) after every regular
// membership, and every RSM message carries the view it was sent in, so a message sent in an
// older view is recognised and never applied. That exchange is where the guarantees come
// from; Flush-style view synchrony would add a flush round per view change and a dependency
// on a layer still being built, without making any rule here simpler.
//
// Layout: quorum.ts, exchange.ts, commit.ts, transfer.ts, digest.ts, prng.ts, wire.ts are pure
// cores (no I/O, no clock); store.ts is the LevelDB adapter; engine.ts runs the immer recipes;
// replica.ts is the shell (connection, loop, timers).
export * from './types.ts';
export * from './errors.ts';
export { Rsm, type RsmOptions, type SubmitOptions, type ReadOptions, type ReadResult, type StateView } from './replica.ts';
export { ExchangeCore, GENESIS_META, replicaIdOf, type ReplicaMeta, type Decision, type ExchangeAction, type ListInfo, type Adoption } from './exchange.ts';
export { isPrimaryView, isStaticMajority, holdsMajorityOf, compareBallot } from './quorum.ts';
export { CommitTracker } from './commit.ts';
export { chooseDonor, SnapshotReceiver } from './transfer.ts';
export { digestOf, updateDigest, formatDigest, EMPTY_DIGEST, type HashFn } from './digest.ts';
export { RsmStore, KEY_MAX } from './store.ts';
export { decodeMessage, encodeMessage, type LogEntry, type Lineage, type RsmMessage } from './wire.ts';
