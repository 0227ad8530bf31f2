// Logging: DebugFlags categories, EventPriority levels, time stamps, text or JSON lines.
export * from './logger.ts';
export * from './sink.ts';
export * from './strftime.ts';
export * from './file-sink.ts';
export * from './open.ts';
