// One class per failure. `code` is the protocol's error code (spec 6.2) when the failure has one,
// so code written against the C API can keep comparing numbers; `cause` carries the underlying error.
import {
  BUFFER_TOO_SHORT,
  CONNECTION_CLOSED,
  COULD_NOT_CONNECT,
  GROUPS_TOO_SHORT,
  ILLEGAL_GROUP,
  ILLEGAL_MESSAGE,
  ILLEGAL_SERVICE,
  ILLEGAL_SESSION,
  ILLEGAL_SPREAD,
  ILLEGAL_TIME,
  MESSAGE_TOO_LONG,
  NET_ERROR_ON_SESSION,
  REJECT_AUTH,
  REJECT_ILLEGAL_NAME,
  REJECT_NO_NAME,
  REJECT_NOT_UNIQUE,
  REJECT_QUOTA,
  REJECT_VERSION,
  SP_BUG,
} from './wire/constants.ts';

/** libspread's text for each code (what `SP_error` prints), without the `SP_error: (n) ` prefix. */
const ERROR_TEXT: Readonly<Record<number, string>> = {
  [ILLEGAL_SPREAD]: 'Illegal spread was provided',
  [COULD_NOT_CONNECT]: 'Could not connect. Is Spread running?',
  [REJECT_QUOTA]: 'Connection rejected, too many users',
  [REJECT_NO_NAME]: 'Connection rejected, no name was supplied',
  [REJECT_ILLEGAL_NAME]: 'Connection rejected, illegal name',
  [REJECT_NOT_UNIQUE]: 'Connection rejected, name not unique',
  [REJECT_VERSION]: 'Connection rejected, library does not fit daemon',
  [CONNECTION_CLOSED]: 'Connection closed by spread',
  [REJECT_AUTH]: 'Connection rejected, authentication failed',
  [ILLEGAL_SESSION]: 'Illegal session was supplied',
  [ILLEGAL_SERVICE]: 'Illegal service request',
  [ILLEGAL_MESSAGE]: 'Illegal message',
  [ILLEGAL_GROUP]: 'Illegal group',
  [BUFFER_TOO_SHORT]: 'The supplied buffer was too short',
  [GROUPS_TOO_SHORT]: 'The supplied groups list was too short',
  [MESSAGE_TOO_LONG]: 'The message body + group names was too large to fit in a message',
  [NET_ERROR_ON_SESSION]:
    'The network socket experienced an error. This Spread mailbox will no longer work until the connection is disconnected and then reconnected',
  [SP_BUG]: 'Internal spread bug detected!',
  [ILLEGAL_TIME]: 'Illegal time was supplied',
};

/** Text for a code, e.g. 'Connection closed by spread'. */
export function errorText(code: number): string {
  return ERROR_TEXT[code] ?? 'unrecognized error';
}

export interface SpreadErrorOptions {
  readonly cause?: unknown;
}

/** Base class of every error this library throws. */
export class SpreadError extends Error {
  override readonly name: string = 'SpreadError';
  /** The protocol's error code (spec 6.2), or undefined when the failure has none. */
  readonly code: number | undefined;

  constructor(message: string, code: number | undefined, options?: SpreadErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** The daemon refused the session (a reject byte of spec 2.8), or the client refused the daemon. */
export class SpreadRejectedError extends SpreadError {
  override readonly name = 'SpreadRejectedError';
  constructor(
    readonly rejectCode: number,
    detail?: string,
    options?: SpreadErrorOptions,
  ) {
    super(`${errorText(rejectCode)} (${rejectCode})${detail === undefined ? '' : `: ${detail}`}`, rejectCode, options);
  }
}

/** The spread name (or address object) does not parse, or its host does not resolve. */
export class IllegalSpreadError extends SpreadError {
  override readonly name = 'IllegalSpreadError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(`illegal spread name: ${detail}`, ILLEGAL_SPREAD, options);
  }
}

/** Socket, connect or resolver failure; also a connect that timed out. */
export class CouldNotConnectError extends SpreadError {
  override readonly name = 'CouldNotConnectError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(`could not connect: ${detail}`, COULD_NOT_CONNECT, options);
  }
}

/** The connection is gone: closed by us, by the daemon, or by a socket error. */
export class ConnectionClosedError extends SpreadError {
  override readonly name = 'ConnectionClosedError';
  constructor(detail = 'connection closed', options?: SpreadErrorOptions) {
    super(detail, CONNECTION_CLOSED, options);
  }
}

/** The daemon sent bytes that break the protocol (a header with negative counts, say); fatal. */
export class ProtocolError extends SpreadError {
  override readonly name = 'ProtocolError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(`protocol error: ${detail}`, ILLEGAL_MESSAGE, options);
  }
}

/** A group name that fails the rules of spec 6.4 (join, leave) or does not fit a slot (multicast). */
export class IllegalGroupError extends SpreadError {
  override readonly name = 'IllegalGroupError';
  constructor(readonly group: string, options?: SpreadErrorOptions) {
    super(`illegal group name ${JSON.stringify(group)}`, ILLEGAL_GROUP, options);
  }
}

/** A multicast without exactly one service bit. */
export class IllegalServiceError extends SpreadError {
  override readonly name = 'IllegalServiceError';
  constructor(readonly serviceType: number, options?: SpreadErrorOptions) {
    super(`illegal service type 0x${(serviceType >>> 0).toString(16)}: exactly one service bit is needed`, ILLEGAL_SERVICE, options);
  }
}

/** A membership accessor used on a message that is not a (well-formed) membership message. */
export class IllegalMessageError extends SpreadError {
  override readonly name = 'IllegalMessageError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(detail, ILLEGAL_MESSAGE, options);
  }
}

/** More than 100 destinations, or more than 143152 bytes of slots and body (spec 8.7). */
export class MessageTooLongError extends SpreadError {
  override readonly name = 'MessageTooLongError';
  constructor(readonly numGroups: number, readonly dataLen: number, options?: SpreadErrorOptions) {
    super(`message too long: ${numGroups} groups and ${dataLen} bytes`, MESSAGE_TOO_LONG, options);
  }
}

/** An operation was aborted through its AbortSignal; `cause` is the signal's reason. */
export class AbortError extends SpreadError {
  override readonly name = 'AbortError';
  constructor(detail = 'operation aborted', code?: number, options?: SpreadErrorOptions) {
    super(detail, code, options);
  }
}

/** An operation ran out of time (a connect reports COULD_NOT_CONNECT, as libspread does). */
export class TimeoutError extends SpreadError {
  override readonly name = 'TimeoutError';
  constructor(detail: string, code?: number, options?: SpreadErrorOptions) {
    super(detail, code, options);
  }
}

/** receive()/iteration and listeners were mixed on one connection. */
export class DeliveryModeError extends SpreadError {
  override readonly name = 'DeliveryModeError';
  constructor(detail: string) {
    super(detail, undefined);
  }
}

/** leave() on a group that was not joined through this object, and similar misuse. */
export class IllegalStateError extends SpreadError {
  override readonly name = 'IllegalStateError';
  constructor(detail: string) {
    super(detail, undefined);
  }
}

/** A message listener threw or rejected; the connection was closed with this as the reason. */
export class ListenerError extends SpreadError {
  override readonly name = 'ListenerError';
  constructor(cause: unknown, readonly spreadMessage?: unknown) {
    super(`a message listener failed: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
  }
}

/** Maps a protocol code to the typed error for it. */
export function errorForCode(code: number, detail?: string, options?: SpreadErrorOptions): SpreadError {
  switch (code) {
    case ILLEGAL_SPREAD:
      return new IllegalSpreadError(detail ?? errorText(code), options);
    case COULD_NOT_CONNECT:
      return new CouldNotConnectError(detail ?? errorText(code), options);
    case CONNECTION_CLOSED:
    case NET_ERROR_ON_SESSION:
      return new ConnectionClosedError(detail ?? errorText(code), options);
    case ILLEGAL_MESSAGE:
      return new ProtocolError(detail ?? errorText(code), options);
    default:
      if (code <= -3 && code >= -9 && code !== CONNECTION_CLOSED) return new SpreadRejectedError(code, detail, options);
      return new SpreadError(detail ?? errorText(code), code, options);
  }
}

/** Everything in one object, as nats.js does. */
export const errors = {
  SpreadError,
  SpreadRejectedError,
  IllegalSpreadError,
  CouldNotConnectError,
  ConnectionClosedError,
  ProtocolError,
  IllegalGroupError,
  IllegalServiceError,
  IllegalMessageError,
  MessageTooLongError,
  AbortError,
  TimeoutError,
  DeliveryModeError,
  IllegalStateError,
  ListenerError,
} as const;
