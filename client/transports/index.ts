// The default transport factory: TCP or Unix socket by address kind.
import type { SpreadAddress } from '../address.ts';
import type { Transport, TransportConnectOptions, TransportFactory } from '../transport.ts';
import { connectTcp } from './tcp.ts';
import { connectUnix } from './unix.ts';

export const nodeTransportFactory: TransportFactory = (address: SpreadAddress, options: TransportConnectOptions): Promise<Transport> =>
  address.kind === 'unix' ? connectUnix(address.path, options) : connectTcp(address.host, address.port, options);

export { connectTcp } from './tcp.ts';
export { connectUnix } from './unix.ts';
export { connectTls, tlsTransportFactory, type TlsClientOptions } from './tls.ts';
export { SocketTransport } from './socket.ts';
