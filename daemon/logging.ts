// The logging surface the daemon's layers use: daemon/log's Logger provides it.
import type { Logger } from './log/logger.ts';

export type DaemonLog = Pick<Logger, 'enabled' | 'log'>;

export const silentLog: DaemonLog = {
  enabled: () => false,
  log: () => {},
};
