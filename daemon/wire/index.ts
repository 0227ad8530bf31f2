// Daemon-to-daemon wire formats: the one copy, shared by the ring core, the simulator and the UDP driver.
export * from './constants.ts';
export * from './types.ts';
export * from './envelope.ts';
export * from './data-packet.ts';
export * from './token.ts';
export * from './hurry.ts';
export { readU32, writeU32, view } from './bytes.ts';
export * from './membership.ts';
export * from './form-token.ts';
