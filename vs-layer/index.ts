// The VS layer: View Synchrony over the EVS client, in the manner of Spread's Flush library.
// Stream API (VsConnection, VsGroup, operators), the FL_* C-style API, the pure group state
// machine and the VS frame codec.
export * from './types.ts';
export * from './errors.ts';
export { VsConnection, connectVs, type VsConnectOptions, type VsJoinOptions, type VsConnectionState, type VsConnectionStats } from './connection.ts';
export { VsGroup, type VsGroupStats } from './group.ts';
export { EventChannel, type EventChannelOptions } from './channel.ts';
export { routeInbound, serviceOf, type Inbound, type RoutedInput } from './inbound.ts';
export {
  GroupFsm,
  isWeakService,
  type GroupFsmOptions,
  type GroupInput,
  type GroupAction,
  type FsmDelivery,
  type GroupFsmSnapshot,
  type JoinState,
  type ViewPhase,
} from './group-fsm.ts';
export { decodeVsFrame, encodeControl, encodeData, isVsMessType, viewIdFromWords, viewIdToWords, type VsFrame, type VsDecodeResult } from './wire.ts';
export { views } from './operators/views.ts';
export { messages } from './operators/messages.ts';
export { flushRequests } from './operators/flush-requests.ts';
export { completeOnLeft } from './operators/complete-on-left.ts';
export { startWithCurrentView } from './operators/start-with-current-view.ts';
export { withView, type MessageInView } from './operators/with-view.ts';
export { pullEach, type PullProject } from './operators/pull-each.ts';
export * as fl from './fl.ts';
