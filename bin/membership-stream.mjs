#!/usr/bin/env node
// Thin entry point: runs the TypeScript source through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../examples/membership-stream/membership-stream.ts');
