// Builds a Logger from a configuration, or one writing into memory for tests.
import { Logger, loggerOptionsFromConfig, type LogConfig, type LoggerOptions } from './logger.ts';
import { MemorySink } from './sink.ts';

export type OpenLoggerOptions = Omit<LoggerOptions, 'categories' | 'minLevel' | 'timeStamp' | 'preciseTimeStamp'>;

/** A Logger for `config`: appends to its EventLogFile (opened once), else writes to stdout. */
export function openLogger(config: LogConfig, opts: OpenLoggerOptions = {}): Logger {
  return new Logger({ ...loggerOptionsFromConfig(config), ...opts });
}

/** A Logger writing into memory, for tests: read `sink.lines`. */
export function memoryLogger(opts: Omit<LoggerOptions, 'sink' | 'file'> = {}): { logger: Logger; sink: MemorySink } {
  const sink = new MemorySink();
  return { logger: new Logger({ ...opts, sink }), sink };
}
