// Unix-domain stream socket transport (`"4803"` means /tmp/4803).
import { describeAddress } from '../address.ts';
import type { Transport, TransportConnectOptions } from '../transport.ts';
import { openSocket } from './connect.ts';
import { SocketTransport } from './socket.ts';

export async function connectUnix(path: string, options: TransportConnectOptions = {}): Promise<Transport> {
  const description = describeAddress({ kind: 'unix', path });
  const socket = await openSocket({ path }, description, options);
  return new SocketTransport(socket, { description });
}
