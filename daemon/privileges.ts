// RuntimeDir, DaemonUser and DaemonGroup (guide 2.2): a daemon started as root, once it has
// read its configuration and opened its log, gives up root. Spread also chroots into RuntimeDir;
// Node.js has no chroot, so we change directory into it and say plainly in the log that the
// file system stays visible. planPrivilegeDrop decides (pure); dropPrivileges performs.
//
// Deviation: Spread refuses to start as root when the default account `spread` is missing. Many
// hosts and containers run daemons as root without one, so then we run on as root and say so;
// accounts named in the configuration must exist, or the daemon stops.
import { existsSync, readFileSync } from 'node:fs';
import type { DebugCategory } from './config/model.ts';
import type { DaemonLog } from './logging.ts';

export interface PrivilegeInput {
  /** process.getuid(); undefined where the platform has no user ids (Windows). */
  readonly uid: number | undefined;
  readonly runtimeDir: string;
  readonly runtimeDirExists: boolean;
  readonly daemonUser: string;
  readonly daemonGroup: string;
  /** The names are the defaults (spread, spread) and this host has no such user or group. */
  readonly defaultAccountsMissing: boolean;
}

export const DEFAULT_DAEMON_USER = 'spread';
export const DEFAULT_DAEMON_GROUP = 'spread';

/** In this order: the group must change while the process may still do so. */
export type PrivilegeStep =
  | { readonly kind: 'chdir'; readonly dir: string }
  /** Supplementary groups: only DaemonGroup (root's other groups must not stay). */
  | { readonly kind: 'setgroups'; readonly group: string }
  | { readonly kind: 'setgid'; readonly group: string }
  | { readonly kind: 'setuid'; readonly user: string };

export interface PrivilegeNote {
  readonly category: DebugCategory;
  readonly level: 'INFO' | 'WARNING';
  readonly message: string;
}

export interface PrivilegePlan {
  readonly steps: ReadonlyArray<PrivilegeStep>;
  readonly notes: ReadonlyArray<PrivilegeNote>;
}

export function planPrivilegeDrop(p: PrivilegeInput): PrivilegePlan {
  if (p.uid === undefined) {
    return { steps: [], notes: [{ category: 'CONFIGURATION', level: 'INFO', message: 'no user ids on this platform: RuntimeDir, DaemonUser and DaemonGroup do not apply' }] };
  }
  if (p.uid !== 0) {
    return {
      steps: [],
      notes: [{ category: 'CONFIGURATION', level: 'INFO', message: `running as uid ${p.uid}, not root: RuntimeDir, DaemonUser and DaemonGroup apply only to a daemon started as root` }],
    };
  }
  if (p.defaultAccountsMissing) {
    return {
      steps: [],
      notes: [{
        category: 'PRINT',
        level: 'WARNING',
        message: `running as root: this host has no user or group '${DEFAULT_DAEMON_USER}' (the defaults of DaemonUser and DaemonGroup); name existing ones to give up root`,
      }],
    };
  }
  const steps: PrivilegeStep[] = [];
  const notes: PrivilegeNote[] = [];
  const noChroot = 'Node.js cannot chroot: the daemon still sees the whole file system';
  if (p.runtimeDirExists) {
    steps.push({ kind: 'chdir', dir: p.runtimeDir });
    notes.push({ category: 'PRINT', level: 'WARNING', message: `RuntimeDir ${p.runtimeDir}: working directory changed, but ${noChroot}` });
  } else {
    notes.push({ category: 'PRINT', level: 'WARNING', message: `RuntimeDir ${p.runtimeDir} does not exist: working directory unchanged; and ${noChroot}` });
  }
  steps.push({ kind: 'setgroups', group: p.daemonGroup });
  steps.push({ kind: 'setgid', group: p.daemonGroup });
  steps.push({ kind: 'setuid', user: p.daemonUser });
  return { steps, notes };
}

/** What dropPrivileges needs from the process; tests pass fakes. */
export interface PrivilegeOps {
  getuid(): number | undefined;
  /** True when both accounts are known locally (/etc/passwd, /etc/group). */
  accountsExist(user: string, group: string): boolean;
  exists(dir: string): boolean;
  chdir(dir: string): void;
  setgroups(groups: ReadonlyArray<string>): void;
  setgid(group: string): void;
  setuid(user: string): void;
}

export const processPrivilegeOps: PrivilegeOps = {
  getuid: () => process.getuid?.(),
  accountsExist: (user, group) => listsName('/etc/passwd', user) && listsName('/etc/group', group),
  exists: (dir) => existsSync(dir),
  chdir: (dir) => process.chdir(dir),
  setgroups: (groups) => process.setgroups?.(groups),
  setgid: (group) => process.setgid?.(group),
  setuid: (user) => process.setuid?.(user),
};

export class PrivilegeError extends Error {
  override readonly name = 'PrivilegeError';
}

export interface PrivilegeConfig {
  readonly runtimeDir: string;
  readonly daemonUser: string;
  readonly daemonGroup: string;
}

/**
 * Drops root as the configuration says, logging what it did and what it could not do. Throws
 * PrivilegeError when a step fails: a daemon asked to give up root must not run on as root.
 */
export function dropPrivileges(config: PrivilegeConfig, log: DaemonLog, ops: PrivilegeOps = processPrivilegeOps): void {
  const defaults = config.daemonUser === DEFAULT_DAEMON_USER && config.daemonGroup === DEFAULT_DAEMON_GROUP;
  const uid = ops.getuid();
  const plan = planPrivilegeDrop({
    uid,
    defaultAccountsMissing: uid === 0 && defaults && !ops.accountsExist(config.daemonUser, config.daemonGroup),
    runtimeDir: config.runtimeDir,
    runtimeDirExists: ops.exists(config.runtimeDir),
    daemonUser: config.daemonUser,
    daemonGroup: config.daemonGroup,
  });
  for (const step of plan.steps) {
    try {
      switch (step.kind) {
        case 'chdir':
          ops.chdir(step.dir);
          break;
        case 'setgroups':
          ops.setgroups([step.group]);
          break;
        case 'setgid':
          ops.setgid(step.group);
          break;
        case 'setuid':
          ops.setuid(step.user);
          break;
      }
    } catch (err) {
      const what = step.kind === 'chdir' ? `change directory to ${step.dir}` : step.kind === 'setuid' ? `become user ${step.user}` : `take group ${step.group}`;
      const message = `cannot ${what}: ${err instanceof Error ? err.message : String(err)}`;
      log.log('EXIT', 'FATAL', message);
      throw new PrivilegeError(message, { cause: err });
    }
  }
  for (const n of plan.notes) log.log(n.category, n.category === 'PRINT' ? 'PRINT' : n.level, n.message);
  if (plan.steps.some((s) => s.kind === 'setuid')) log.log('PRINT', 'PRINT', `dropped root: running as user ${config.daemonUser}, group ${config.daemonGroup}`);
}

/** True when a colon-separated account file has an entry named `name`. */
function listsName(file: string, name: string): boolean {
  try {
    return readFileSync(file, 'utf8').split('\n').some((line) => line.split(':', 1)[0] === name);
  } catch {
    return false;
  }
}
