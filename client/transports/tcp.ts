// TCP transport: TCP_NODELAY and SO_KEEPALIVE, as both reference sides set them (spec 1.1).
import { describeAddress } from '../address.ts';
import type { Transport, TransportConnectOptions } from '../transport.ts';
import { openSocket } from './connect.ts';
import { SocketTransport } from './socket.ts';

export async function connectTcp(host: string, port: number, options: TransportConnectOptions = {}): Promise<Transport> {
  const description = describeAddress({ kind: 'tcp', host, port });
  const socket = await openSocket({ host, port, noDelay: true, keepAlive: true }, description, options);
  socket.setNoDelay(true);
  socket.setKeepAlive(true);
  return new SocketTransport(socket, { description });
}
