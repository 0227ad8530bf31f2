// The hex dumps of the worked example (spec section 9), read from the spec itself so that the
// tests never carry a retyped copy.
import { readFileSync } from 'node:fs';
import { sharedPath } from './spec.ts';

export const SPEC_PATH = sharedPath('spec', 'client-protocol.md');

export interface SpecDump {
  /** The paragraph line before the block, e.g. 'Step 5. C>D (alice), JOIN "chat": 80 bytes'. */
  readonly label: string;
  /** Step number, or undefined for unnumbered blocks (the Java dump). */
  readonly step: number | undefined;
  readonly bytes: Buffer;
}

function parseHexBlock(lines: string[]): Buffer {
  const out: number[] = [];
  for (const line of lines) {
    const m = /^([0-9a-f]{4}):((?:\s[0-9a-f]{2})+)\s*$/i.exec(line.trim());
    if (m === null) throw new Error(`not a hex dump line: ${line}`);
    if (parseInt(m[1]!, 16) !== out.length) throw new Error(`hex dump offset ${m[1]} does not follow ${out.length}`);
    for (const b of m[2]!.trim().split(/\s+/)) out.push(parseInt(b, 16));
  }
  return Buffer.from(out);
}

export function loadSpecDumps(path = SPEC_PATH): SpecDump[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const dumps: SpecDump[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```hex') continue;
    let j = i - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const label = lines[j]!.trim();
    const body: string[] = [];
    let k = i + 1;
    while (lines[k]!.trim() !== '```') body.push(lines[k++]!);
    const stepMatch = /^Step (\d+)\./.exec(label);
    dumps.push({ label, step: stepMatch === null ? undefined : Number(stepMatch[1]), bytes: parseHexBlock(body) });
    i = k;
  }
  return dumps;
}

/** The dump of step `n`; throws if missing, and checks the byte count the label announces. */
export function stepDump(n: number, dumps = loadSpecDumps()): Buffer {
  const d = dumps.find((x) => x.step === n);
  if (d === undefined) throw new Error(`spec has no Step ${n} dump`);
  const m = /: (\d+) bytes$/.exec(d.label);
  if (m !== null && Number(m[1]) !== d.bytes.length) throw new Error(`Step ${n}: label says ${m[1]} bytes, dump has ${d.bytes.length}`);
  return d.bytes;
}

/** The Java library's big-endian multicast dump. */
export function javaDump(dumps = loadSpecDumps()): Buffer {
  const d = dumps.find((x) => x.step === undefined && /Java library/.test(x.label));
  if (d === undefined) throw new Error('spec has no Java dump');
  return d.bytes;
}

/**
 * The body of the network-caused membership example (spec section 9, "A network-caused
 * membership"): hex bytes and quoted names written as 32-byte slots, comments ignored.
 */
export function networkMembershipBody(path = SPEC_PATH): Buffer {
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('A network-caused membership'));
  if (start < 0) throw new Error('spec has no network membership example');
  let i = start;
  while (lines[i]!.trim() !== '```') i++;
  const out: number[] = [];
  for (i++; lines[i]!.trim() !== '```'; i++) {
    const tokens = lines[i]!.match(/"[^"]*"|\(\d+\)|\S+/g) ?? [];
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t]!;
      if (/^[0-9a-f]{2}$/i.test(tok)) out.push(parseInt(tok, 16));
      else if (tok.startsWith('"') && tokens[t + 1] === '(32)') {
        const slot = Buffer.alloc(32);
        slot.write(tok.slice(1, -1), 'latin1');
        out.push(...slot);
        t++;
      } else break;
    }
  }
  return Buffer.from(out);
}
