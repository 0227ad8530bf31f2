// One class per failure of the replicated state machine (design 2.13). Each sets `name`.

export class RsmError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** This replica is not in an activated primary component: writes (and linearizable reads) are refused. */
export class NotPrimaryError extends RsmError {
  constructor(
    readonly view: string | undefined,
    readonly members: readonly string[],
  ) {
    super(`not in the primary component (view ${view ?? 'none'}, members ${members.join(',') || 'none'})`);
  }
}

/** Definitely not applied; retrying with the same request id is safe. */
export class NotAppliedError extends RsmError {}

/** No answer in time; the command may or may not be applied: retry with the same request id. */
export class RsmTimeoutError extends RsmError {}

/** The request's seq is older than the deduplication window of its client. */
export class StaleRequestError extends RsmError {}

/** The replica was closed. */
export class RsmClosedError extends RsmError {}

/** The recipe threw on every replica alike: the command took an index but changed nothing. */
export class CommandFailedError extends RsmError {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`command failed at index ${index}: ${reason}`);
  }
}

/** Refused before sending: the encoded command is larger than the configured limit. */
export class CommandTooLargeError extends RsmError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`command is ${bytes} bytes encoded, limit is ${limit}`);
  }
}

/** Refused before sending: the machine's validate() rejected the command. */
export class InvalidCommandError extends RsmError {}

/** A received snapshot or log tail did not match the donor's digest; it was discarded. */
export class SnapshotCorruptError extends RsmError {}

/** The options or the database do not fit together (wrong machine, wrong replica id...). */
export class RsmConfigError extends RsmError {}
