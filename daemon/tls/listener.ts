// The opt-in TLS client listener: certificate and key (and the CA client certificates must chain
// to) read from the files the configuration names; each connection, once its TLS handshake is
// done, is handed on like a plain TCP one, and the same session protocol runs inside.
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type TLSSocket, type TlsOptions } from 'node:tls';
import type { TlsListenerSpec } from '../config/model.ts';

/** A TLS handshake taking longer than this is abandoned (Node's default is two minutes). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TlsListenerHooks {
  /** A client whose TLS handshake succeeded (and whose certificate, if any, checked out). */
  readonly onClient: (socket: TLSSocket) => void;
  /** A client refused at the TLS level: failed handshake, missing or unverified certificate. */
  readonly onRefused: (reason: string, remoteAddress: string | undefined) => void;
}

async function readPem(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read TLS ${what} ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The server options of `spec`, its files read. */
export async function tlsServerOptions(spec: TlsListenerSpec): Promise<TlsOptions> {
  const [cert, key, ca] = await Promise.all([
    readPem('certificate', spec.certificateFile),
    readPem('key', spec.keyFile),
    spec.caFile === undefined ? undefined : readPem('CA', spec.caFile),
  ]);
  return {
    cert,
    key,
    ca,
    // With a CA, client certificates are asked for; refused outright only when required.
    requestCert: ca !== undefined,
    rejectUnauthorized: spec.requireClientCertificate,
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

/** A TLS server (not yet listening) with the options of tlsServerOptions. */
export function createTlsListener(options: TlsOptions, hooks: TlsListenerHooks): Server {
  const server = createServer(options, (socket) => {
    // A certificate that was offered but does not chain to the CA is refused even when
    // certificates are optional: an optional certificate is still a checked one.
    if (!socket.authorized && Object.keys(socket.getPeerCertificate()).length > 0) {
      hooks.onRefused(`client certificate not accepted: ${String(socket.authorizationError)}`, socket.remoteAddress);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    hooks.onClient(socket);
  });
  server.on('tlsClientError', (err, socket) => hooks.onRefused(`TLS handshake failed: ${err.message}`, socket.remoteAddress));
  return server;
}
