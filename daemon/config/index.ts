// The spread.conf module: model, parser, ids and hash, lookup of the own entry, file loading.
export * from './model.ts';
export * from './errors.ts';
export * from './address.ts';
export * from './limits.ts';
export * from './timeouts.ts';
export * from './ids.ts';
export { tokenize, describeToken, type Token, type TokenKind } from './tokens.ts';
export {
  OPTION_NAMES,
  OPTIONS_NOT_YET_IMPLEMENTED,
  DEBUG_FLAG_WORDS,
  AUTH_METHODS,
  ACCESS_CONTROL_POLICIES,
  type OptionName,
} from './options.ts';
export { parseConfig, type ParseOptions } from './parse.ts';
export { findSelf, machineAddresses } from './find.ts';
export { findConfigFile, loadConfig, loadConfigSync, type FindConfigOptions, type LoadOptions } from './load.ts';
