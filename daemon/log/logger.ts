// The daemon's logger: Spread's DebugFlags categories and EventPriority levels (design 11).
//
// A line is printed when its category is enabled and its level is at least the minimum, or when
// its level is FATAL (as Spread's Alarmp). Level PRINT always passes the level test.
//
// Text lines look like Spread's: `[time stamp ]message[ key=value ...]`. With `verbose` the
// category and level come before the message: `[Mon 01 Jan 2024 10:00:00] MEMBERSHIP INFO: ...`.
// JSON lines hold {time (ISO, UTC), category, level, message, fields?} for log collectors.
import type { DebugCategory, EventPriority } from '../config/model.ts';
import { FileSink, StreamSink } from './file-sink.ts';
import type { LineSink } from './sink.ts';
import { strftime } from './strftime.ts';

export type LogLevel = EventPriority | 'PRINT';
export type LogFormat = 'text' | 'json';
export type LogFields = Readonly<Record<string, unknown>>;

const RANK: Readonly<Record<LogLevel, number>> = {
  pDEBUG: 1,
  INFO: 2,
  WARNING: 3,
  ERROR: 4,
  CRITICAL: 5,
  FATAL: 6,
  PRINT: 7,
};

export interface LoggerOptions {
  /** Where lines go; default: `file` when given, else standard output. */
  readonly sink?: LineSink;
  /** Append to this file (EventLogFile, %h already replaced), opened once; ignored with `sink`. */
  readonly file?: string;
  /** Drop every line (the daemon's `-l n`). */
  readonly silent?: boolean;
  /** Enabled DebugFlags categories; PRINT and EXIT are always added. Default: PRINT, EXIT. */
  readonly categories?: Iterable<DebugCategory>;
  /** EventPriority: the lowest level printed. Default INFO. */
  readonly minLevel?: EventPriority;
  /** strftime format of the time stamp prefix (EventTimeStamp); none when undefined. */
  readonly timeStamp?: string;
  /** Microseconds after the seconds (EventPreciseTimeStamp). */
  readonly preciseTimeStamp?: boolean;
  readonly format?: LogFormat;
  /** Text format: put `CATEGORY LEVEL: ` before each message. */
  readonly verbose?: boolean;
  /** Time stamps in UTC instead of local time. */
  readonly utc?: boolean;
  readonly now?: () => Date;
}

/** The logger settings a spread.conf carries. */
export interface LogConfig {
  /** Path with %h already replaced; standard output when undefined. */
  readonly eventLogFile?: string | undefined;
  readonly debugFlags: ReadonlySet<DebugCategory>;
  readonly eventPriority: EventPriority;
  readonly eventTimeStamp: string | undefined;
  readonly eventPreciseTimeStamp: boolean;
}

export function loggerOptionsFromConfig(config: LogConfig): LoggerOptions {
  return {
    file: config.eventLogFile,
    categories: config.debugFlags,
    minLevel: config.eventPriority,
    timeStamp: config.eventTimeStamp,
    preciseTimeStamp: config.eventPreciseTimeStamp,
  };
}

function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null || v === undefined) {
    return String(v);
  }
  return tryJson(v) ?? '[unserializable]';
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) return { name: v.name, message: v.message };
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** JSON text of `v`, or undefined when it cannot be serialized (cycles, throwing getters). */
function tryJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v, jsonReplacer);
  } catch {
    return undefined;
  }
}

export class Logger {
  private readonly sink: LineSink;
  private readonly silent: boolean;
  private categories: Set<DebugCategory>;
  private minRank: number;
  private timeStamp: string | undefined;
  private precise: boolean;
  private readonly format: LogFormat;
  private readonly verbose: boolean;
  private readonly utc: boolean;
  private readonly now: () => Date;

  constructor(opts: LoggerOptions) {
    this.sink = opts.sink ?? (opts.file !== undefined ? new FileSink(opts.file) : new StreamSink(process.stdout));
    this.silent = opts.silent ?? false;
    this.categories = Logger.withForced(opts.categories ?? []);
    this.minRank = RANK[opts.minLevel ?? 'INFO'];
    this.timeStamp = opts.timeStamp;
    this.precise = opts.preciseTimeStamp ?? false;
    this.format = opts.format ?? 'text';
    this.verbose = opts.verbose ?? false;
    this.utc = opts.utc ?? false;
    this.now = opts.now ?? (() => new Date());
  }

  private static withForced(categories: Iterable<DebugCategory>): Set<DebugCategory> {
    const set = new Set(categories);
    set.add('PRINT');
    set.add('EXIT');
    return set;
  }

  /** One Set lookup: lets hot paths skip building a message nobody will see. */
  enabled(category: DebugCategory): boolean {
    return this.categories.has(category) && !this.silent;
  }

  /** True when a line of this category and level would be printed. */
  wouldLog(category: DebugCategory, level: LogLevel): boolean {
    if (this.silent) return false;
    return level === 'FATAL' || (this.categories.has(category) && RANK[level] >= this.minRank);
  }

  log(category: DebugCategory, level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.wouldLog(category, level)) return;
    this.sink.write(
      this.format === 'json'
        ? this.jsonLine(category, level, message, fields)
        : this.textLine(category, level, message, fields),
    );
  }

  debug(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'pDEBUG', message, fields);
  }

  info(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'INFO', message, fields);
  }

  warn(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'WARNING', message, fields);
  }

  error(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'ERROR', message, fields);
  }

  critical(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'CRITICAL', message, fields);
  }

  /** Always printed. Spread exits after a FATAL event; here the caller decides. */
  fatal(category: DebugCategory, message: string, fields?: LogFields): void {
    this.log(category, 'FATAL', message, fields);
  }

  /** General information that is always printed (Spread's PRINT). */
  print(message: string, fields?: LogFields): void {
    this.log('PRINT', 'PRINT', message, fields);
  }

  /** Applies new DebugFlags / EventPriority / time stamp settings (a configuration reload). */
  reconfigure(opts: Partial<Omit<LoggerOptions, 'sink' | 'format' | 'verbose' | 'utc' | 'now'>>): void {
    if (opts.categories !== undefined) this.categories = Logger.withForced(opts.categories);
    if (opts.minLevel !== undefined) this.minRank = RANK[opts.minLevel];
    if ('timeStamp' in opts) this.timeStamp = opts.timeStamp;
    if (opts.preciseTimeStamp !== undefined) this.precise = opts.preciseTimeStamp;
  }

  /** Flushes and closes the sink; lines logged afterwards may be dropped. */
  close(): Promise<void> {
    return this.sink.close();
  }

  private textLine(category: DebugCategory, level: LogLevel, message: string, fields?: LogFields): string {
    let line = '';
    if (this.timeStamp !== undefined) {
      line = `${strftime(this.timeStamp, this.now(), { utc: this.utc, precise: this.precise })} `;
    }
    if (this.verbose) line += `${category} ${level}: `;
    line += message;
    if (fields !== undefined) for (const [k, v] of Object.entries(fields)) line += ` ${k}=${fieldValue(v)}`;
    return line;
  }

  private jsonLine(category: DebugCategory, level: LogLevel, message: string, fields?: LogFields): string {
    const base = { time: this.now().toISOString(), category, level, message };
    if (fields === undefined || Object.keys(fields).length === 0) return tryJson(base) as string;
    return tryJson({ ...base, fields }) ?? (tryJson({ ...base, fields: '[unserializable]' }) as string);
  }
}
