// The client side of the connection handshake (spec 2), over any Transport. Each piece the daemon
// reads with a single read is written with a single write, and nothing is pipelined.
import { checkAuthMethods, type AuthChannel, type AuthMethod } from './auth.ts';
import { ConnectionClosedError, SpreadRejectedError, type SpreadError } from './errors.ts';
import type { Transport } from './transport.ts';
import {
  ACCEPT_SESSION,
  AUTH_CHOICE_BYTES,
  MAX_GROUP_NAME,
  MAX_PRIVATE_NAME,
  REJECT_AUTH,
  REJECT_ILLEGAL_NAME,
  REJECT_VERSION,
} from './wire/constants.ts';
import { encodeAuthChoice, encodeConnectRequest, parseAuthList, versionNumber, type Version } from './wire/handshake.ts';
import { isLegalPrivateName } from './wire/names.ts';

export interface HandshakeRequest {
  readonly version: Version;
  readonly privateName: string;
  readonly membership: boolean;
  readonly priority: boolean;
  readonly authMethods: readonly AuthMethod[];
}

export interface HandshakeResult {
  readonly privateGroup: string;
  readonly daemonVersion: Version;
  /** Bytes that arrived after the private group name: the start of the message stream. */
  readonly leftover: Buffer | undefined;
}

const signed8 = (b: number): number => (b << 24) >> 24;

/** Reads exact byte counts from a transport, keeping what arrives beyond them. */
class ExactReader {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly transport: Transport) {}

  /** Exactly n bytes, or null when the stream ends first. */
  async read(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      const chunk = await this.transport.read();
      if (chunk === null) return null;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  rest(): Buffer | undefined {
    return this.buf.length === 0 ? undefined : this.buf;
  }
}

function closedDuring(step: string): SpreadError {
  return new ConnectionClosedError(`connection closed by the daemon during the handshake (${step})`);
}

/**
 * Runs the handshake. Throws SpreadRejectedError for a reject byte (or a refusal of ours: a
 * required method not offered, a daemon older than 3.1.0) and ConnectionClosedError when the
 * stream ends or carries impossible values. The caller owns the transport and closes it on error.
 */
export async function performHandshake(transport: Transport, req: HandshakeRequest): Promise<HandshakeResult> {
  const badAuth = checkAuthMethods(req.authMethods);
  if (badAuth !== undefined) throw new SpreadRejectedError(REJECT_AUTH, badAuth);
  // libspread and Java cut a longer name to 10 bytes; a byte outside '$'..'~' gets the same
  // REJECT_ILLEGAL_NAME from any daemon, so it is refused here without a round trip.
  const privateName = req.privateName.slice(0, MAX_PRIVATE_NAME);
  if (!isLegalPrivateName(privateName)) throw new SpreadRejectedError(REJECT_ILLEGAL_NAME, `private name ${JSON.stringify(req.privateName)}`);

  const reader = new ExactReader(transport);
  transport.write([encodeConnectRequest(req.version, req.membership, req.priority, privateName)]);

  // Auth list length, or a reject byte (spec 2.4).
  const lenByte = await reader.read(1);
  if (lenByte === null) throw closedDuring('waiting for the authentication list');
  const listLen = signed8(lenByte[0]!);
  if (listLen < 0) throw new SpreadRejectedError(listLen, 'refused by the daemon');
  if (listLen > AUTH_CHOICE_BYTES) throw new ConnectionClosedError(`authentication list of ${listLen} bytes`);
  const list = listLen === 0 ? Buffer.alloc(0) : await reader.read(listLen);
  if (list === null) throw closedDuring('reading the authentication list');
  const offered = new Set(parseAuthList(list));
  const missing = req.authMethods.filter((m) => !offered.has(m.name)).map((m) => m.name);
  if (missing.length > 0) throw new SpreadRejectedError(REJECT_AUTH, `daemon does not offer ${missing.join(', ')} (offers: ${[...offered].join(' ') || 'nothing'})`);

  transport.write([encodeAuthChoice(req.authMethods.map((m) => m.name))]);
  const channel: AuthChannel = {
    write: (bytes) => {
      transport.write([bytes]);
    },
    read: async (n) => {
      const b = await reader.read(n);
      if (b === null) throw closedDuring('authentication exchange');
      return b;
    },
  };
  const info = { offered: parseAuthList(list), transport: transport.description };
  for (const m of req.authMethods) {
    try {
      await m.authenticate(channel, info);
    } catch (err) {
      if (err instanceof ConnectionClosedError) throw err;
      throw new SpreadRejectedError(REJECT_AUTH, `method ${m.name} failed`, { cause: err });
    }
  }

  // Accept reply (spec 2.7): the daemon may send its bytes one at a time.
  const first = await reader.read(1);
  if (first === null) throw closedDuring('waiting for the accept reply');
  const b0 = signed8(first[0]!);
  if (b0 !== ACCEPT_SESSION) {
    if (b0 < 0) throw new SpreadRejectedError(b0, 'refused by the daemon');
    throw new ConnectionClosedError(`unexpected accept byte ${b0}`);
  }
  const rest = await reader.read(4);
  if (rest === null) throw closedDuring('reading the accept reply');
  const major = signed8(rest[0]!);
  const minor = signed8(rest[1]!);
  const patch = signed8(rest[2]!);
  const nameLen = signed8(rest[3]!);
  if (major < 0 || minor < 0 || patch < 0 || nameLen < 0 || nameLen >= MAX_GROUP_NAME)
    throw new ConnectionClosedError(`impossible accept reply ${[...rest].join(' ')}`);
  const daemonVersion = { major, minor, patch };
  const v = versionNumber(daemonVersion);
  if (v < 30100 || (req.priority && v < 30800))
    throw new SpreadRejectedError(REJECT_VERSION, `daemon version ${major}.${minor}.${patch} is too old`);
  const name = nameLen === 0 ? Buffer.alloc(0) : await reader.read(nameLen);
  if (name === null) throw closedDuring('reading the private group name');
  return { privateGroup: name.toString('latin1'), daemonVersion, leftover: reader.rest() };
}
