// The Spread client library: the class API, the C-style SP_* API, errors, transports and the
// wire constants, from one entry point.
export * from './api/index.ts';
export * from './errors.ts';
export * from './sp.ts';
export * as sp from './sp.ts';
export {
  parseSpreadName,
  resolveAddressInput,
  describeAddress,
  type SpreadAddress,
  type SpreadAddressInput,
  type ParsedAddress,
} from './address.ts';
export { NULL_AUTH, IP_AUTH, pwordAuth, authMethod, type AuthMethod, type AuthChannel, type AuthInfo } from './auth.ts';
export { Connection, type ConnectionOptions, type ReceivedFrame } from './connection.ts';
export type { Transport, TransportFactory, TransportConnectOptions } from './transport.ts';
export {
  nodeTransportFactory,
  connectTcp,
  connectUnix,
  connectTls,
  tlsTransportFactory,
  SocketTransport,
  type TlsClientOptions,
} from './transports/index.ts';
export * from './wire/constants.ts';
