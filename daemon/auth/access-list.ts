// The IP allow-list of the IP authentication method and the IP access control policy, in the
// spirit of Spread's spread.access_ip: one address or CIDR block per line, `#` comments, blank
// lines ignored. Pure: the text comes in, a matcher goes out (the file is read by load.ts).
import { parseIpLiteral, type IpFamily } from '../config/address.ts';

interface Block {
  readonly family: IpFamily;
  readonly bytes: ReadonlyArray<number>;
  readonly prefix: number;
}

/** A line of the list that is not an address or block. */
export class AccessListError extends Error {
  override readonly name = 'AccessListError';
  constructor(
    message: string,
    readonly source: string,
    readonly line: number,
  ) {
    super(`${source}:${line}: ${message}`);
  }
}

export class AccessList {
  private constructor(
    private readonly blocks: ReadonlyArray<Block>,
    /** The entries in canonical form (`10.0.0.0/8`, `127.0.0.1`), for logs and tests. */
    readonly entries: ReadonlyArray<string>,
  ) {}

  /** Parses the text of an access list; throws AccessListError naming the first bad line. */
  static parse(text: string, source = '<access list>'): AccessList {
    const blocks: Block[] = [];
    const entries: string[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      if (/\s/.test(line)) throw new AccessListError(`one address or block per line, found '${line}'`, source, i + 1);
      const slash = line.indexOf('/');
      const ip = parseIpLiteral(slash < 0 ? line : line.slice(0, slash));
      if (ip === undefined || ip.scope !== undefined) throw new AccessListError(`'${line}' is not an IPv4 or IPv6 address or CIDR block`, source, i + 1);
      const bits = ip.bytes.length * 8;
      const prefixText = slash < 0 ? String(bits) : line.slice(slash + 1);
      const prefix = Number(prefixText);
      if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) throw new AccessListError(`bad prefix length '/${prefixText}' in '${line}' (0 to ${bits})`, source, i + 1);
      blocks.push({ family: ip.family, bytes: ip.bytes, prefix });
      entries.push(prefix === bits ? ip.canonical : `${ip.canonical}/${prefix}`);
    });
    return new AccessList(blocks, entries);
  }

  /** True when `address` (IPv4, IPv6, IPv4-mapped IPv6, with or without a zone) is in a block. */
  allows(address: string): boolean {
    const ip = normalize(address);
    if (ip === undefined) return false;
    return this.blocks.some((b) => b.family === ip.family && inBlock(ip.bytes, b));
  }
}

function normalize(address: string): { family: IpFamily; bytes: ReadonlyArray<number> } | undefined {
  const ip = parseIpLiteral(address.replace(/%.*$/, ''));
  if (ip === undefined) return undefined;
  // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; they are IPv4 clients.
  const b = ip.bytes;
  if (ip.family === 'IPv6' && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return { family: 'IPv4', bytes: b.slice(12) };
  }
  return ip;
}

function inBlock(bytes: ReadonlyArray<number>, b: Block): boolean {
  let left = b.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((bytes[i]! & mask) !== (b.bytes[i]! & mask)) return false;
  }
  return true;
}
