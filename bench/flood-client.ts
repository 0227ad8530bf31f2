// One benchmark client process: connects, joins the bench group, waits until every sender is
// there, then sends its share while reading everything the group delivers. Prints one JSON line.
import { connect, type Socket } from 'node:net';
import {
  AGREED_MESS, FrameReader, REG_MEMB_MESS, SAFE_MESS, SELF_DISCARD, encodeAuthChoice, encodeCommand,
  encodeConnectRequest, encodeMessageHead, JOIN_MESS, SPREAD_VERSION, isRegularMembership,
} from '../client/wire/index.ts';
import { percentile } from './stats.ts';

interface Args {
  target: string;
  name: string;
  mode: 'flood' | 'ping' | 'reflect';
  size: number;
  count: number;
  /** ping: round trips made before the measured ones (the client's and daemons' code paths warm up). */
  warmup: number;
  members: number;
  senders: number;
  service: 'agreed' | 'safe';
}

function parseArgs(): Args {
  const a = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) a.set(argv[i]!.replace(/^--/, ''), argv[i + 1]!);
  return {
    target: a.get('target')!,
    name: a.get('name')!,
    mode: (a.get('mode') ?? 'flood') as Args['mode'],
    size: Number(a.get('size') ?? 100),
    count: Number(a.get('count') ?? 1000),
    warmup: Number(a.get('warmup') ?? 200),
    members: Number(a.get('members') ?? 1),
    senders: Number(a.get('senders') ?? 1),
    service: (a.get('service') ?? 'agreed') as Args['service'],
  };
}

function open(target: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const [port, host] = target.split('@');
    const s = host === undefined ? connect(`/tmp/${port}`) : connect({ port: Number(port), host, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function handshake(s: Socket, name: string): Promise<string> {
  s.write(encodeConnectRequest(SPREAD_VERSION, true, false, name));
  let buf = Buffer.alloc(0);
  const need = async (n: number): Promise<Buffer> => {
    while (buf.length < n) {
      const chunk = await new Promise<Buffer | undefined>((resolve) => {
        const onData = (c: Buffer): void => {
          s.off('close', onClose);
          resolve(c);
        };
        const onClose = (): void => {
          s.off('data', onData);
          resolve(undefined);
        };
        s.once('data', onData);
        s.once('close', onClose);
      });
      if (chunk === undefined) throw new Error(`daemon closed the connection during the handshake (reply ${buf.toString('hex')})`);
      buf = Buffer.concat([buf, chunk]);
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  const len = (await need(1))[0]!;
  await need(len);
  s.write(encodeAuthChoice(['NULL']));
  const acc = await need(5);
  if (acc[0] !== 1) throw new Error(`rejected ${acc[0]}`);
  const pg = (await need(acc[4]!)).toString('latin1');
  if (buf.length > 0) s.unshift(buf);
  return pg;
}

/** Messages of the group in flight at most (below the daemon's MaxSessionMessages of 1000). */
const WINDOW_MAX = 800;

async function main(): Promise<void> {
  const args = parseArgs();
  const sock = await open(args.target);
  const me = await handshake(sock, args.name);
  const service = args.service === 'safe' ? SAFE_MESS : AGREED_MESS;
  const group = args.mode === 'flood' ? 'bench' : 'ping';
  let onMembers: ((n: number) => void) | undefined;
  let onData: ((frame: Buffer, sender: string) => void) | undefined;
  const reader = new FrameReader(
    { maxGroups: 10000, maxPayload: 1 << 24 },
    (frame, h) => {
      if (isRegularMembership(h.type)) onMembers?.(h.numGroups);
      else if ((h.type & REG_MEMB_MESS) === 0) onData?.(frame, h.sender);
    },
    (reason) => {
      throw new Error(reason);
    },
  );
  sock.on('data', (c: Buffer) => reader.push(c));
  sock.on('close', () => {
    if (!finished) {
      process.stderr.write(`flood-client ${args.name}: the daemon closed the connection\n`);
      process.exit(2);
    }
  });
  // Data may arrive in the same chunk as the view that starts the run, so the flood counters
  // are in place before the join.
  let finished = false;
  const expected = args.count * args.senders;
  let received = 0;
  let start = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let wakeSender: (() => void) | undefined;
  let sentSoFar = 0;
  let refillAt = 0;
  /**
   * Messages of the whole group I have not received yet, counting every sender at my pace. A
   * sender waits on it, not on its own messages only, so that a slow receiver slows every sender
   * down and no receiver's queue at the daemon outgrows MaxSessionMessages (1000).
   */
  const behind = (): number => sentSoFar * args.senders - received;
  const body = Buffer.alloc(args.size, 0x61);
  if (args.mode === 'flood') {
    onData = () => {
      received++;
      // refill in batches: one write (and one daemon read) per half window, not per message
      if (wakeSender !== undefined && behind() <= refillAt) wakeSender();
      if (received === expected) resolveDone();
    };
  } else if (args.mode === 'reflect') {
    const head = encodeMessageHead(service | SELF_DISCARD, me, ['ping'], 1, args.size);
    onData = () => {
      sock.cork();
      sock.write(head);
      sock.write(body);
      sock.uncork();
    };
  }
  await new Promise<void>((resolve) => {
    onMembers = (n) => {
      if (n >= args.members) resolve();
    };
    sock.write(encodeCommand(JOIN_MESS, me, group));
  });
  onMembers = undefined;
  start = Date.now();

  if (args.mode === 'reflect') {
    process.stdout.write(JSON.stringify({ ready: true }) + '\n');
    await new Promise<void>((r) => sock.once('close', () => r()));
    return;
  }

  if (args.mode === 'ping') {
    const head = encodeMessageHead(service | SELF_DISCARD, me, ['ping'], 0, args.size);
    const rtts: number[] = [];
    for (let i = -args.warmup; i < args.count; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise<void>((resolve) => {
        onData = () => resolve();
        sock.cork();
        sock.write(head);
        sock.write(body);
        sock.uncork();
      });
      if (i >= 0) rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    rtts.sort((a, b) => a - b);
    const q = (p: number): number => percentile(rtts, p);
    finished = true;
    process.stdout.write(JSON.stringify({ p50_ms: q(0.5), p90_ms: q(0.9), p99_ms: q(0.99), max_ms: rtts[rtts.length - 1], count: rtts.length }) + '\n');
    sock.destroy();
    return;
  }

  // flood: counting started before the join (see above)
  const head = encodeMessageHead(service, me, ['bench'], 0, args.size);
  const isSender = args.count > 0;
  if (isSender) {
    let sent = 0;
    // A bounded number of the group's messages in flight, as spflooder keeps its own bounded.
    const window = Math.max(10, Math.min(WINDOW_MAX, Math.floor(2_000_000 / (args.size + 100))));
    refillAt = Math.floor(window / 2);
    while (sent < args.count) {
      sock.cork();
      while (sent < args.count && behind() + args.senders <= window) {
        sock.write(head);
        sock.write(body);
        sent++;
        sentSoFar = sent;
      }
      sock.uncork();
      if (sent < args.count && behind() > refillAt)
        await new Promise<void>((r) => (wakeSender = r));
      wakeSender = undefined;
      if (sock.writableNeedDrain) await new Promise<void>((r) => sock.once('drain', () => r()));
    }
  }
  await done;
  finished = true;
  const end = Date.now();
  process.stdout.write(JSON.stringify({ start, end, received }) + '\n');
  sock.destroy();
}

main().catch((err: unknown) => {
  process.stderr.write(`flood-client: ${String(err)}\n`);
  process.exit(1);
});
