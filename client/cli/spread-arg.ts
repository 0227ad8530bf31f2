// The -s argument of the tools: a spread name ("4803", "4803@host") as in the reference, and,
// as an extension, a Unix socket path starting with '/' (daemons in tests listen elsewhere
// than /tmp/<port>).
import type { SpreadAddressInput } from '../address.ts';

export function spreadAddress(arg: string): SpreadAddressInput {
  return arg.startsWith('/') ? { path: arg } : arg;
}
