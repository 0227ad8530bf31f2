// File-system side of access control: finds and reads the access list when the configuration uses
// it. Read once, when the daemon starts; a list that is needed but missing or bad stops the start
// rather than leaving a daemon that silently refuses (or admits) everyone.
import { readFileSync, statSync } from 'node:fs';
import type { SpreadConfig } from '../config/model.ts';
import { AccessList } from './access-list.ts';
import { accessPolicyOf, needsAccessList, type AccessPolicy } from './decide.ts';

/** Where the list is looked for when AccessIpFile is not given, as Spread looks for its files. */
export const DEFAULT_ACCESS_IP_FILES: ReadonlyArray<string> = ['./spread.access_ip', '/etc/spread.access_ip'];

/** Reads and parses one list file; throws AccessListError or an Error naming the file. */
export function readAccessList(path: string): AccessList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read access list ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return AccessList.parse(text, path);
}

/** The access policy of `config`, with its list read when the configuration uses one. */
export function loadAccessPolicy(
  config: Pick<SpreadConfig, 'allowedAuthMethods' | 'requiredAuthMethods' | 'accessControlPolicy' | 'accessIpFile'>,
): AccessPolicy {
  if (!needsAccessList(config)) return accessPolicyOf(config, undefined);
  const path = config.accessIpFile ?? DEFAULT_ACCESS_IP_FILES.find(isFile);
  if (path === undefined) {
    throw new Error(`IP access control needs an access list: set AccessIpFile, or create ${DEFAULT_ACCESS_IP_FILES.join(' or ')}`);
  }
  return accessPolicyOf(config, readAccessList(path));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
