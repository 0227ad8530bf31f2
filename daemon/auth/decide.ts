// Whether a client may open a session (spec 2.5): the methods it chose must all be allowed; the
// required methods run even when not chosen, then every chosen one; then the access control
// policy. Any refusal is REJECT_AUTH, the one code the reference sends for all of them (spec 2.8).
// Pure: configuration, client address and choice in, decision out.
import { REJECT_AUTH } from '../../client/wire/constants.ts';
import type { SpreadConfig } from '../config/model.ts';
import type { AccessList } from './access-list.ts';

/** What the session layer needs to decide; built once from the configuration and the list file. */
export interface AccessPolicy {
  /** Offered to clients, in this order (AllowedAuthMethods plus RequiredAuthMethods). */
  readonly allowed: ReadonlyArray<string>;
  /** Run for every client, chosen or not. */
  readonly required: ReadonlyArray<string>;
  /** AccessControlPolicy: PERMIT lets every authenticated client in; IP only those on the list. */
  readonly policy: string;
  /** The allow-list of the IP method and policy; undefined when neither is in use. */
  readonly accessList: AccessList | undefined;
}

export type AuthDecision = { readonly accept: true } | { readonly accept: false; readonly code: number; readonly reason: string };

/** The default policy: NULL offered, nothing required, PERMIT. */
export const PERMIT_ALL: AccessPolicy = Object.freeze({ allowed: Object.freeze(['NULL']), required: Object.freeze([]), policy: 'PERMIT', accessList: undefined });

/** True when the configuration uses the allow-list (IP method allowed or required, or IP policy). */
export function needsAccessList(config: Pick<SpreadConfig, 'allowedAuthMethods' | 'requiredAuthMethods' | 'accessControlPolicy'>): boolean {
  return config.allowedAuthMethods.includes('IP') || config.requiredAuthMethods.includes('IP') || config.accessControlPolicy === 'IP';
}

export function accessPolicyOf(
  config: Pick<SpreadConfig, 'allowedAuthMethods' | 'requiredAuthMethods' | 'accessControlPolicy'>,
  accessList: AccessList | undefined,
): AccessPolicy {
  return Object.freeze({
    allowed: config.allowedAuthMethods,
    required: config.requiredAuthMethods,
    policy: config.accessControlPolicy,
    accessList,
  });
}

/**
 * The decision for a client at `clientAddress` (an IP address; undefined for a Unix-socket client,
 * which is on this host and is checked as 127.0.0.1 or ::1) that chose `chosen`.
 */
export function decideAuth(p: AccessPolicy, clientAddress: string | undefined, chosen: ReadonlyArray<string>): AuthDecision {
  if (chosen.length === 0) return refuse('no authentication method chosen');
  for (const m of chosen) if (!p.allowed.includes(m)) return refuse(`method '${m}' not allowed`);
  for (const m of new Set([...p.required, ...chosen])) {
    const failure = runMethod(m, p, clientAddress);
    if (failure !== undefined) return refuse(`${p.required.includes(m) ? 'required ' : ''}method '${m}' failed: ${failure}`);
  }
  switch (p.policy) {
    case 'PERMIT':
      return { accept: true };
    case 'IP':
      return onList(p, clientAddress) ? { accept: true } : refuse(`access control policy IP: ${describe(clientAddress)} is not on the access list`);
    default:
      return refuse(`unknown access control policy '${p.policy}'`);
  }
}

/** Runs one method; undefined when it succeeds, else why not. NULL and IP exchange nothing (spec 2.6). */
function runMethod(method: string, p: AccessPolicy, clientAddress: string | undefined): string | undefined {
  switch (method) {
    case 'NULL':
      return undefined;
    case 'IP':
      return onList(p, clientAddress) ? undefined : `${describe(clientAddress)} is not on the access list`;
    default:
      return 'unknown method';
  }
}

function onList(p: AccessPolicy, clientAddress: string | undefined): boolean {
  const list = p.accessList;
  if (list === undefined) return false;
  return clientAddress === undefined ? list.allows('127.0.0.1') || list.allows('::1') : list.allows(clientAddress);
}

function describe(clientAddress: string | undefined): string {
  return clientAddress ?? 'a Unix-socket client';
}

function refuse(reason: string): AuthDecision {
  return { accept: false, code: REJECT_AUTH, reason };
}
