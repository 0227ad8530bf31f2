#!/usr/bin/env -S node --initial-old-space-size=64
// The V8 settings on the line above are daemon/v8-flags.ts's DAEMON_V8_FLAGS (why is said there).
// Thin entry point: runs the TypeScript source through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../daemon/cli.ts');
