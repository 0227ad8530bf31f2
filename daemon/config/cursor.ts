// A cursor over the token list with the error helpers the grammar rules share.
import { ConfigError } from './errors.ts';
import { describeToken, type Token, type TokenKind } from './tokens.ts';

export class Cursor {
  private pos = 0;

  constructor(
    private readonly tokens: ReadonlyArray<Token>,
    readonly file: string,
  ) {}

  /** The token `ahead` places after the current one (the last token is always 'eof'). */
  peek(ahead = 0): Token {
    const i = Math.min(this.pos + ahead, this.tokens.length - 1);
    return this.tokens[i] as Token;
  }

  next(): Token {
    const t = this.peek();
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }

  /** Throws a ConfigError placed at `at`. */
  fail(at: Token, reason: string): never {
    throw new ConfigError(this.file, at.line, at.column, reason);
  }

  /** Throws "expected <what>, found <token>" at the token found. */
  expected(what: string, found: Token): never {
    this.fail(found, `expected ${what}, found ${describeToken(found)}`);
  }

  /** Consumes a token of `kind`, or throws "expected <what>, found ...". */
  expect(kind: TokenKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.expected(what, t);
    return this.next();
  }

  /** `file:line:column: ` for warnings. */
  where(at: Token): string {
    return `${this.file}:${at.line}:${at.column}: `;
  }
}

/** Case-insensitive keyword test for a word token. */
export function isKeyword(t: Token, keyword: string): boolean {
  return t.kind === 'word' && t.text.toLowerCase() === keyword.toLowerCase();
}
