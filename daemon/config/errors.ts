// Failures of loading a configuration: one class per failure.

/** A spread.conf that does not parse or validate; names the place and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The message without the `file:line:column: ` prefix. */
  readonly reason: string;

  constructor(
    readonly file: string,
    /** 1-based; 0 when the problem concerns the file as a whole. */
    readonly line: number,
    /** 1-based; 0 when the problem concerns the file as a whole. */
    readonly column: number,
    reason: string,
  ) {
    super(line > 0 ? `${file}:${line}:${column}: ${reason}` : `${file}: ${reason}`);
    this.reason = reason;
  }
}

/** No configuration file could be found or read. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(
    message: string,
    /** Every path looked at, in order. */
    readonly paths: ReadonlyArray<string>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The daemon could not find its own entry in the configuration (by -n name or by local address). */
export class DaemonNotInConfigError extends Error {
  override readonly name = 'DaemonNotInConfigError';
  constructor(
    message: string,
    readonly source: string,
  ) {
    super(message);
  }
}
