// Authentication methods (spec 2.4 to 2.6). The client names up to three methods in the 90-byte
// choice; after it, each method runs its own exchange in turn. NULL exchanges nothing.
import { MAX_AUTH_METHODS, MAX_AUTH_NAME } from './wire/constants.ts';

/** What a method may do on the socket during its exchange. */
export interface AuthChannel {
  /** Writes bytes as one write. */
  write(bytes: Uint8Array): void;
  /** Reads exactly n bytes; rejects if the stream ends first. */
  read(n: number): Promise<Uint8Array>;
}

/** What a method knows of the connection it authenticates. */
export interface AuthInfo {
  /** The methods the daemon offered, in its order. */
  readonly offered: readonly string[];
  /** The transport, e.g. "tcp:127.0.0.1:4803" or "tls:127.0.0.1:4805". */
  readonly transport: string;
}

/**
 * One authentication method. Applications plug in their own: a name the daemon offers and an
 * exchange (see authMethod).
 */
export interface AuthMethod {
  /** Name offered by the daemon, e.g. "NULL" (at most 29 characters). */
  readonly name: string;
  /** Runs after the choice was sent; throw (or reject) to give up, which reports REJECT_AUTH. */
  authenticate(channel: AuthChannel, info: AuthInfo): Promise<void> | void;
}

/** A method from a name and its exchange (for applications plugging in their own). */
export function authMethod(name: string, authenticate: (channel: AuthChannel, info: AuthInfo) => Promise<void> | void): AuthMethod {
  return Object.freeze({ name, authenticate });
}

/** The method every daemon offers by default. */
export const NULL_AUTH: AuthMethod = Object.freeze({
  name: 'NULL',
  authenticate(): void {},
});

/** `IP`: nothing is exchanged; the daemon checks the client's address against its access list. */
export const IP_AUTH: AuthMethod = Object.freeze({
  name: 'IP',
  authenticate(): void {},
});

/** `PWORD` (only on daemons built with it): a 32-byte user name and an 8-byte password, NUL-padded. */
export function pwordAuth(user: string, password: string): AuthMethod {
  return {
    name: 'PWORD',
    authenticate(channel: AuthChannel): void {
      const buf = Buffer.alloc(32 + 8);
      buf.write(user.slice(0, 32), 0, 'latin1');
      buf.write(password.slice(0, 8), 32, 'latin1');
      channel.write(buf);
    },
  };
}

/** Checks a list of methods before connecting; returns a reason or undefined. */
export function checkAuthMethods(methods: readonly AuthMethod[]): string | undefined {
  if (methods.length === 0) return 'no authentication method';
  if (methods.length > MAX_AUTH_METHODS) return `more than ${MAX_AUTH_METHODS} authentication methods`;
  for (const m of methods) {
    if (m.name.length === 0 || m.name.length >= MAX_AUTH_NAME || /[\s\0]/.test(m.name)) return `bad authentication method name ${JSON.stringify(m.name)}`;
  }
  return undefined;
}
