// Opening node:net (and node:tls) sockets for the transports, with libspread's error mapping:
// an unresolvable host is ILLEGAL_SPREAD, any other failure COULD_NOT_CONNECT.
import { connect as netConnect, type Socket, type NetConnectOpts } from 'node:net';
import { AbortError, CouldNotConnectError, IllegalSpreadError } from '../errors.ts';
import { COULD_NOT_CONNECT } from '../wire/constants.ts';
import type { TransportConnectOptions } from '../transport.ts';

const RESOLVER_FAILURES = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);

export function openSocket(opts: NetConnectOpts, description: string, options: TransportConnectOptions): Promise<Socket> {
  return openSocketWith(() => netConnect(opts), 'connect', description, options);
}

/** Opens the socket `create` returns, ready once it emits `readyEvent` (TLS: 'secureConnect'). */
export function openSocketWith(
  create: () => Socket,
  readyEvent: 'connect' | 'secureConnect',
  description: string,
  options: TransportConnectOptions,
): Promise<Socket> {
  const signal = options.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AbortError('connect aborted', COULD_NOT_CONNECT, { cause: signal.reason }));
      return;
    }
    const socket = create();
    const onAbort = (): void => {
      socket.destroy();
      reject(new AbortError('connect aborted', COULD_NOT_CONNECT, { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once(readyEvent, () => {
      signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err.code !== undefined && RESOLVER_FAILURES.has(err.code)) reject(new IllegalSpreadError(`${description}: ${err.message}`, { cause: err }));
      else reject(new CouldNotConnectError(`${description}: ${err.message}`, { cause: err }));
    });
  });
}
