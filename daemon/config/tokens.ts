// The spread.conf tokenizer: free-form text, `#` comments, punctuation `{ } = ; !`, quoted strings
// and words (names, numbers, addresses with `:port` or `[ipv6]:port`). Tracks line and column.
import { ConfigError } from './errors.ts';

export type TokenKind = 'word' | 'string' | '{' | '}' | '=' | ';' | '!' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** The word, the string without its quotes, or the punctuation itself ('' at end of file). */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const PUNCTUATION = new Set(['{', '}', '=', ';', '!']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n', '\v', '\f']);

function isWordChar(ch: string): boolean {
  if (WHITESPACE.has(ch) || PUNCTUATION.has(ch) || ch === '#' || ch === '"' || ch === "'") return false;
  return !isForbidden(ch);
}

function isForbidden(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && !WHITESPACE.has(ch)) || c === 0x7f || c === 0xfffd || c === 0xfeff;
}

function describeChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 0xfffd) return 'a byte that is not UTF-8';
  return `character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** How a token is named in messages: `'word'`, `"string"`, `'{'` or `end of file`. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return `"${t.text}"`;
    default:
      return `'${t.text}'`;
  }
}

/** Splits the whole text into tokens; the last one is 'eof'. Throws ConfigError on a bad character. */
export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  if (text.startsWith('\ufeff')) {
    i = 1;
    lineStart = 1;
  }
  const fail = (at: number, reason: string): never => {
    throw new ConfigError(file, line, at - lineStart + 1, reason);
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (WHITESPACE.has(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const column = i - lineStart + 1;
    if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: ch as TokenKind, text: ch, line, column });
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && text[j] !== '\n') {
        if (isForbidden(text[j] as string)) fail(j, `unexpected ${describeChar(text[j] as string)} in a quoted string`);
        j++;
      }
      if (j >= text.length || text[j] !== ch) fail(i, `unterminated string: expected a closing ${ch} on the same line`);
      tokens.push({ kind: 'string', text: text.slice(i + 1, j), line, column });
      i = j + 1;
      continue;
    }
    if (isForbidden(ch)) fail(i, `unexpected ${describeChar(ch)}`);
    let j = i;
    while (j < text.length && isWordChar(text[j] as string)) j++;
    tokens.push({ kind: 'word', text: text.slice(i, j), line, column });
    i = j;
  }
  tokens.push({ kind: 'eof', text: '', line, column: i - lineStart + 1 });
  return tokens;
}
