// One class per VS failure, in the client library's style: each extends SpreadError, sets `name`,
// carries the Flush/Spread `code` a C port would compare, and accepts a `cause`.
import { SpreadError, type SpreadErrorOptions } from '../client/errors.ts';
import { CONNECTION_CLOSED, ILLEGAL_GROUP } from '../client/wire/constants.ts';
import { FL_ERROR_TEXT, ILLEGAL_MESSAGE_TYPE, ILLEGAL_PARAM, ILLEGAL_RECEIVERS, ILLEGAL_STATE } from './constants.ts';

/** Base class of the VS layer's errors. */
export class VsError extends SpreadError {
  override readonly name: string = 'VsError';
}

/** Send after flushing (with sendWhileFlushed 'reject'), flush without a request, leave when not joined, and the like. */
export class VsIllegalStateError extends VsError {
  override readonly name = 'VsIllegalStateError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(detail, ILLEGAL_STATE, options);
  }
}

/** A group name that is illegal, not joined through this connection, or already joined. */
export class VsIllegalGroupError extends VsError {
  override readonly name = 'VsIllegalGroupError';
  constructor(
    readonly group: string,
    detail = `illegal group ${JSON.stringify(group)}`,
    options?: SpreadErrorOptions,
  ) {
    super(detail, ILLEGAL_GROUP, options);
  }
}

/** A receiver of sendTo() that is not in the last installed view. */
export class VsIllegalReceiversError extends VsError {
  override readonly name = 'VsIllegalReceiversError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(detail, ILLEGAL_RECEIVERS, options);
  }
}

/** A message type below FL_MIN_LEGAL_MESS_TYPE (reserved for VS frames) or outside int16. */
export class VsReservedTypeError extends VsError {
  override readonly name = 'VsReservedTypeError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(detail, ILLEGAL_MESSAGE_TYPE, options);
  }
}

/** A bad argument (an unknown service, a bad timeout, too many scatter pieces). */
export class VsIllegalParamError extends VsError {
  override readonly name = 'VsIllegalParamError';
  constructor(detail: string, options?: SpreadErrorOptions) {
    super(detail, ILLEGAL_PARAM, options);
  }
}

/** A manual flush (or a beforeFlush hook) overran the policy's timeout with onTimeout 'error'. */
export class VsFlushTimeoutError extends VsError {
  override readonly name = 'VsFlushTimeoutError';
  constructor(
    readonly group: string,
    readonly timeoutMs: number,
  ) {
    super(`group ${group} was not flushed within ${timeoutMs} ms`, undefined);
  }
}

/** The beforeFlush hook threw, rejected or errored: the group cannot flush consistently and is left. */
export class VsFlushHookError extends VsError {
  override readonly name = 'VsFlushHookError';
  constructor(
    readonly group: string,
    cause: unknown,
  ) {
    super(`the beforeFlush hook of ${group} failed: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
  }
}

/** The daemon connection was lost (not closed by us): every stream of the connection errors with it. */
export class VsDisconnectedError extends VsError {
  override readonly name = 'VsDisconnectedError';
  constructor(detail = 'connection to the daemon lost', options?: SpreadErrorOptions) {
    super(detail, CONNECTION_CLOSED, options);
  }
}

/** The typed error for a code the group state machine refused with. */
export function vsErrorForCode(code: number, detail: string, group = ''): VsError {
  switch (code) {
    case ILLEGAL_STATE:
      return new VsIllegalStateError(detail);
    case ILLEGAL_GROUP:
      return new VsIllegalGroupError(group, detail);
    case ILLEGAL_RECEIVERS:
      return new VsIllegalReceiversError(detail);
    case ILLEGAL_MESSAGE_TYPE:
      return new VsReservedTypeError(detail);
    case ILLEGAL_PARAM:
      return new VsIllegalParamError(detail);
    case CONNECTION_CLOSED:
      return new VsDisconnectedError(detail);
    default:
      return new VsError(`${detail} (${FL_ERROR_TEXT[code] ?? code})`, code);
  }
}

/** Everything in one object, as client/errors.ts does. */
export const vsErrors = {
  VsError,
  VsIllegalStateError,
  VsIllegalGroupError,
  VsIllegalReceiversError,
  VsReservedTypeError,
  VsIllegalParamError,
  VsFlushTimeoutError,
  VsFlushHookError,
  VsDisconnectedError,
} as const;
