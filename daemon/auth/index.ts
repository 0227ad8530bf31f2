// Client access control: the decision (pure), the IP allow-list, and loading the list file.
export { AccessList, AccessListError } from './access-list.ts';
export { accessPolicyOf, decideAuth, needsAccessList, PERMIT_ALL, type AccessPolicy, type AuthDecision } from './decide.ts';
export { DEFAULT_ACCESS_IP_FILES, loadAccessPolicy, readAccessList } from './load.ts';
