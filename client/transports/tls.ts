// TLS transport: the same protocol over node:tls to a daemon's TLS listener (TlsPort). The server
// certificate is checked against `ca` (default: Node's trusted roots) and the host name or IP
// address; `cert` and `key` present a client certificate when the daemon asks for one.
import { connect as tlsConnect, type ConnectionOptions as NodeTlsOptions } from 'node:tls';
import { describeAddress, type SpreadAddress } from '../address.ts';
import { IllegalSpreadError } from '../errors.ts';
import type { Transport, TransportConnectOptions, TransportFactory } from '../transport.ts';
import { openSocketWith } from './connect.ts';
import { SocketTransport } from './socket.ts';

/** What a client may set for TLS; anything else of Node's `tls.connect` options passes through. */
export type TlsClientOptions = Pick<
  NodeTlsOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'pfx' | 'servername' | 'rejectUnauthorized' | 'checkServerIdentity' | 'minVersion' | 'maxVersion'
>;

export async function connectTls(host: string, port: number, tls: TlsClientOptions, options: TransportConnectOptions = {}): Promise<Transport> {
  const description = `tls:${describeAddress({ kind: 'tcp', host, port }).slice('tcp:'.length)}`;
  const socket = await openSocketWith(
    () => tlsConnect({ ...tls, host, port }),
    'secureConnect',
    description,
    options,
  );
  socket.setNoDelay(true);
  socket.setKeepAlive(true);
  return new SocketTransport(socket, { description });
}

/** A transport factory that opens TLS connections (TCP addresses only: daemons serve TLS on a port). */
export function tlsTransportFactory(tls: TlsClientOptions): TransportFactory {
  return (address: SpreadAddress, options: TransportConnectOptions): Promise<Transport> => {
    if (address.kind !== 'tcp') return Promise.reject(new IllegalSpreadError(`TLS needs a host and port, not ${describeAddress(address)}`));
    return connectTls(address.host, address.port, tls, options);
  };
}
