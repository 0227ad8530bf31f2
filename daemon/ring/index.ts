// The ring core (design sections 3, 5, 6): ordering, membership and EVS recovery in one pure
// state machine; this is its public surface.
//
// Modules: core.ts (RingCore: step(event) -> actions), state.ts (the one state object shared
// with the membership module in ../membership/), receive.ts (network filters, data packets),
// token.ts (token visit, hurry), token-rules.ts (aru, stability, duplicate filter, hold, flow control as pure
// functions), retransmission.ts, packing.ts (down queue -> packets, Accelerated Ring queue),
// delivery.ts (early, Agreed and Safe paths, garbage collection), hold.ts (hold and wake),
// timers.ts (timers), threshold.ts (delivery threshold), install.ts (installing a static ring
// from a member list, for tests and benchmarks).
export { RingCore, type FlowControlValues } from './core.ts';
export { screenDatagram } from './receive.ts';
export type { RingInstall } from './install.ts';
export { ringParamsFromConfig, type RingParams, type RingParamOverrides } from './params.ts';
export type { RingState, RingView, StoredPacket, PacketState, MembershipData, CommitSet } from './state.ts';
export { MAX_SEQ_GAP, MAX_WRAP_SEQUENCE_VALUE, WATER_MARK, MAX_EVS_ROUNDS } from './constants.ts';
export { MAX_RING_PAYLOAD } from '../wire/constants.ts';
export type {
  RingService,
  RingId,
  RingMessage,
  RingEvent,
  RingAction,
  RingDelivery,
  RingTimerName,
  DownQueueName,
  RingUpcall,
  TransitionalConfiguration,
  RegularConfiguration,
  ConfigurationEvent,
  RingTraceRecord,
  RingStatus,
  RingCounters,
  DeliveryThreshold,
  MembershipState,
} from './types.ts';
export { RING_TIMER_NAMES } from './types.ts';
