// The Spread client wire protocol: the one copy, imported by the daemon and the client library.
export * from './constants.ts';
export * from './names.ts';
export * from './header.ts';
export * from './framer.ts';
export * from './membership.ts';
export * from './handshake.ts';
export * from './message.ts';
