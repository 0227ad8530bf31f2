// The class API (in the spirit of the Java library).
export {
  SpreadConnection,
  type SpreadConnectionOptions,
  type BasicMessageListener,
  type AdvancedMessageListener,
  type MessageListener,
  type ReceiveOptions,
} from './spread-connection.ts';
export { SpreadMessage, SERVICE_BITS, type ServiceName, type SpreadMessageInit } from './spread-message.ts';
export { SpreadGroup, type GroupOwner } from './spread-group.ts';
export { MembershipInfo, VirtualSynchronySet, type MembershipInfoFields } from './membership-info.ts';
export { GroupID } from './group-id.ts';
export { MessageFactory } from './message-factory.ts';
