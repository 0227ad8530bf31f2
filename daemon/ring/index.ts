// The ring ordering protocol (design section 3): public surface of the pure core.
//
// Modules: core.ts (RingCore: step(event) -> actions), state.ts (the one state object the
// membership module will share), receive.ts (network filters, data packets), token.ts (token
// visit, hurry), token-rules.ts (aru, stability, duplicate filter, hold, flow control as pure
// functions), retransmission.ts, packing.ts (down queue -> packets, Accelerated Ring queue),
// delivery.ts (early, Agreed and Safe paths, garbage collection), hold.ts (hold and wake),
// timers.ts (timers, delivery threshold), install.ts (installing a ring from a member list).
export { RingCore } from './core.ts';
export { screenDatagram } from './receive.ts';
export type { RingInstall } from './install.ts';
export { ringParamsFromConfig, type RingParams, type RingParamOverrides } from './params.ts';
export type { RingState, RingView, StoredPacket, PacketState } from './state.ts';
export { MAX_SEQ_GAP, MAX_WRAP_SEQUENCE_VALUE, WATER_MARK } from './constants.ts';
export { MAX_RING_PAYLOAD } from '../wire/constants.ts';
export type {
  RingService,
  RingId,
  RingMessage,
  RingEvent,
  RingAction,
  RingDelivery,
  RingTimerName,
  RingTraceRecord,
  RingStatus,
  RingCounters,
  DeliveryThreshold,
  MembershipState,
} from './types.ts';
