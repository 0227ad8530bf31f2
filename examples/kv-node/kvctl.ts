// kvctl: the command-line client of a kv-node (its HTTP API, through client.ts).
// Prints plain lines meant for people and scripts (`get` prints just the value); --json prints
// the node's JSON answer instead. Any refusal exits 1 with "kvctl: <what happened>" on stderr.
import { Command, Option } from 'commander';
import { die, intArg } from '../cli.ts';
import type { StatusJson } from './api.ts';
import { KvHttpClient, KvHttpError, type Consistency } from './client.ts';
import { entryDetail, entryLine, shortDigest, statusLine, valueText } from './format.ts';

interface Globals {
  node: string;
  json?: boolean;
  timeout: number;
}

const program = new Command('kvctl')
  .description('client of a kv-node: get, put, del, range, cas, status, wait')
  .option('--node <url>', 'the kv-node to talk to (env KV_NODE)', process.env.KV_NODE ?? 'http://127.0.0.1:8081')
  .option('--json', "print the node's JSON answer")
  .option('--timeout <seconds>', 'give up on an HTTP request after this long', intArg(1), 30)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Exit status: 0 done, 1 refused or failed (the reason is on stderr).
Examples:
  kvctl put greeting hello
  kvctl --node http://127.0.0.1:8083 get greeting
  kvctl get greeting --consistency local --meta
  kvctl cas greeting hi --expect-mod 5
  kvctl wait --primary --same-as http://127.0.0.1:8081`,
  );

const consistencyOption = new Option('--consistency <level>', 'read consistency').choices(['linearizable', 'session', 'local']).default('linearizable');

function client(): { kv: KvHttpClient; g: Globals } {
  const g = program.opts<Globals>();
  return { kv: new KvHttpClient(g.node, g.timeout * 1000), g };
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** --json prints the answer; otherwise `human` says it in a line or more. */
function show<T>(g: Globals, answer: T, human: (a: T) => string): void {
  print(g.json === true ? JSON.stringify(answer) : human(answer));
}

/** A refusal, said the way kvctl says it: the node's message and its error code. */
function refusal(err: unknown): string {
  if (!(err instanceof KvHttpError)) return err instanceof Error ? err.message : String(err);
  const b = err.body;
  const current = b.current !== undefined ? ` (value: ${valueText(b.current)})` : '';
  return `${b.error}: ${b.message}${current}`;
}

/** Runs one command; a failure prints the refusal (and, with --json, the error body) and exits 1. */
async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (program.opts<Globals>().json === true && err instanceof KvHttpError) print(JSON.stringify(err.body));
    die('kvctl', refusal(err));
  }
}

program
  .command('get')
  .description('print the value of a key')
  .argument('<key>')
  .addOption(consistencyOption)
  .option('--min-index <n>', 'with session consistency: wait until the node has applied this index', intArg())
  .option('--meta', 'print key, value, mod index and version, and where the read was served')
  .action((key: string, o: { consistency: Consistency; minIndex?: number; meta?: boolean }) =>
    run(async () => {
      const { kv, g } = client();
      const r = await kv.get(key, { consistency: o.consistency, ...(o.minIndex !== undefined ? { minIndex: o.minIndex } : {}) });
      show(g, r, (a) => (o.meta === true ? `${entryDetail(a.entry)}  read at index ${a.index}${a.stale ? ', stale' : ''}` : valueText(a.entry)));
    }),
  );

program
  .command('put')
  .description('write a key')
  .argument('<key>')
  .argument('<value>')
  .option('--ttl <ms>', 'expire the key after this many milliseconds', intArg(1))
  .option('--if-mod <n>', 'only if the key is still at this mod index', intArg())
  .option('--if-absent', 'only if the key does not exist')
  .action((key: string, value: string, o: { ttl?: number; ifMod?: number; ifAbsent?: boolean }) =>
    run(async () => {
      const { kv, g } = client();
      const r = await kv.put(key, value, { ...(o.ttl !== undefined ? { ttlMs: o.ttl } : {}), ...(o.ifMod !== undefined ? { ifModIndex: o.ifMod } : {}), ifAbsent: o.ifAbsent === true });
      show(g, r, (a) => `put ${key}: ok at index ${a.index}`);
    }),
  );

program
  .command('del')
  .description('delete a key')
  .argument('<key>')
  .option('--if-mod <n>', 'only if the key is still at this mod index', intArg())
  .action((key: string, o: { ifMod?: number }) =>
    run(async () => {
      const { kv, g } = client();
      const r = await kv.delete(key, o.ifMod !== undefined ? { ifModIndex: o.ifMod } : {});
      show(g, r, (a) => `del ${key}: ok at index ${a.index}`);
    }),
  );

program
  .command('range')
  .description('list keys in order: those starting with a prefix, or from --start up to (not including) --end')
  .argument('[prefix]', 'key prefix', '')
  .option('--start <key>', 'first key')
  .option('--end <key>', 'stop before this key')
  .option('--limit <n>', 'at most this many', intArg(1))
  .option('--reverse', 'descending order')
  .addOption(consistencyOption)
  .action((prefix: string, o: { start?: string; end?: string; limit?: number; reverse?: boolean; consistency: Consistency }) =>
    run(async () => {
      const { kv, g } = client();
      const r = await kv.range({ prefix, start: o.start, end: o.end, limit: o.limit, reverse: o.reverse, consistency: o.consistency });
      show(g, r, (a) => [...a.entries.map(entryLine), ...(a.more ? ['(more: use --start or a larger --limit)'] : []), `(${a.entries.length} ${a.entries.length === 1 ? 'key' : 'keys'} at index ${a.index}${a.stale ? ', stale' : ''})`].join('\n'));
    }),
  );

program
  .command('cas')
  .description('compare-and-set: write the key only if it holds what --expect-* says')
  .argument('<key>')
  .argument('<value>', 'the new value')
  .option('--expect-mod <n>', 'the key is at this mod index', intArg())
  .option('--expect-value <value>', 'the key holds this value')
  .option('--expect-absent', 'the key does not exist')
  .action((key: string, value: string, o: { expectMod?: number; expectValue?: string; expectAbsent?: boolean }) =>
    run(async () => {
      const given = [o.expectMod !== undefined, o.expectValue !== undefined, o.expectAbsent === true].filter(Boolean).length;
      if (given !== 1) throw new Error('cas needs exactly one of --expect-mod, --expect-value, --expect-absent');
      const expect = o.expectMod !== undefined ? { modIndex: o.expectMod } : o.expectValue !== undefined ? { value: o.expectValue } : ({ absent: true } as const);
      const { kv, g } = client();
      const r = await kv.cas({ key, value, expect });
      show(g, r, (a) => `cas ${key}: ok at index ${a.index}`);
    }),
  );

program
  .command('status')
  .description("the node's view, whether it is primary, its applied index and digest")
  .action(() =>
    run(async () => {
      const { kv, g } = client();
      show(g, await kv.status(), statusLine);
    }),
  );

program
  .command('wait')
  .description('wait until the node is in the state asked for, then print its status (exit 1 on timeout)')
  .option('--primary', 'in the primary component and caught up')
  .option('--not-primary', 'in a non-primary component: refusing writes (a minority)')
  .option('--min-index <n>', 'applied at least this index', intArg())
  .option('--same-as <url>', 'same applied index and digest as that node (which must be primary)')
  .option('--for <seconds>', 'give up after this long', intArg(1), 60)
  .action((o: { primary?: boolean; notPrimary?: boolean; minIndex?: number; sameAs?: string; for: number }) =>
    run(async () => {
      const { kv, g } = client();
      const other = o.sameAs !== undefined ? new KvHttpClient(o.sameAs, g.timeout * 1000) : undefined;
      const deadline = Date.now() + o.for * 1000;
      let last: StatusJson | undefined;
      let why = '';
      for (;;) {
        try {
          last = await kv.status();
          const ref = other !== undefined ? await other.status() : undefined;
          why = reasonNotYet(last, o, ref);
          if (why === '') break;
        } catch (err) {
          why = refusal(err);
        }
        if (Date.now() > deadline) throw new Error(`gave up after ${o.for} s: ${why}${last !== undefined ? ` (${statusLine(last)})` : ''}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      show(g, last, statusLine);
    }),
  );

/** '' when `s` satisfies the wait; otherwise what is missing. */
function reasonNotYet(s: StatusJson, o: { primary?: boolean; notPrimary?: boolean; minIndex?: number }, ref: StatusJson | undefined): string {
  if (o.primary === true && !s.primary) return `${s.node} is ${s.mode}${s.catchingUp ? ' (catching up)' : ''}`;
  if (o.notPrimary === true && s.mode !== 'non-primary') return `${s.node} is ${s.mode}`;
  if (o.minIndex !== undefined && s.appliedIndex < o.minIndex) return `${s.node} applied ${s.appliedIndex} < ${o.minIndex}`;
  if (ref !== undefined) {
    if (!ref.primary) return `${ref.node} is not primary`;
    if (s.appliedIndex !== ref.appliedIndex || s.digest !== ref.digest) {
      return `${s.node} at ${s.appliedIndex}/${shortDigest(s.digest)}, ${ref.node} at ${ref.appliedIndex}/${shortDigest(ref.digest)}`;
    }
  }
  return '';
}

program.parseAsync().catch((err: unknown) => die('kvctl', err));
