// How quiet the machine is while the benchmark runs: a datagram passed round three processes on
// loopback, with a pause before each rotation so that they sleep between them as idle daemons do.
// Each rotation is three wake-ups; on a shared 2-core VM their time varies several-fold from hour
// to hour, and the round trips vary with it, so the bench prints this beside them.
//   node bench/loopback-probe.ts [rotations]   (prints one JSON line)
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.ts';

const BASE_PORT = 24990;
const HOPS = 3;
const PAUSE_MS = 1;
const WARM_UP_ROTATIONS = 2000;

export interface LoopbackProbe {
  rotations: number;
  pause_ms: number;
  rotation_us_p50: number;
  rotation_us_p90: number;
  rotation_us_p99: number;
}

/** Runs the probe in child processes (one per hop). */
export function probeLoopback(rotations = 500): Promise<LoopbackProbe> {
  const self = fileURLToPath(import.meta.url);
  const hops = Array.from({ length: HOPS }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', self, String(rotations), String(i)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    hops[0]!.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    hops[0]!.once('exit', (code) => {
      for (const h of hops) h.kill();
      if (code === 0) resolve(JSON.parse(out) as LoopbackProbe);
      else reject(new Error(`loopback probe exited ${code}`));
    });
  });
}

/** One hop: forwards every datagram to the next; hop 0 starts the rotations and times them. */
function runHop(rotations: number, index: number): void {
  const socket = dgram.createSocket('udp4');
  const out = dgram.createSocket('udp4');
  out.on('error', () => {}); // refused while the next hop is not bound yet: the start waits for it
  const next = BASE_PORT + ((index + 1) % HOPS);
  const times: number[] = [];
  let started = 0n;
  const datagram = Buffer.alloc(48);
  const rotate = (): void => {
    started = process.hrtime.bigint();
    out.send(datagram);
  };
  let warmUp = WARM_UP_ROTATIONS;
  socket.on('message', (msg) => {
    if (index !== 0) {
      out.send(msg);
      return;
    }
    if (warmUp > 0) {
      // unmeasured and without pauses: the hops' code gets optimized first
      warmUp--;
      rotate();
      return;
    }
    times.push(Number(process.hrtime.bigint() - started) / 1000);
    if (times.length < rotations) {
      setTimeout(rotate, PAUSE_MS);
      return;
    }
    times.sort((a, b) => a - b);
    const q = (p: number): number => Math.round(percentile(times, p));
    const result: LoopbackProbe = { rotations, pause_ms: PAUSE_MS, rotation_us_p50: q(0.5), rotation_us_p90: q(0.9), rotation_us_p99: q(0.99) };
    process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
  });
  socket.bind(BASE_PORT + index, '127.0.0.1', () => {
    // a connected send socket: no address lookup per datagram, as the daemons send
    out.connect(next, '127.0.0.1', () => {
      // the other hops bind meanwhile; a lost first datagram would stall, so wait for them
      if (index === 0) setTimeout(rotate, 500);
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rotations = Number(process.argv[2] ?? 500);
  if (process.argv[3] === undefined) {
    probeLoopback(rotations).then(
      (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      (err: unknown) => {
        process.stderr.write(`loopback probe: ${String(err)}\n`);
        process.exit(1);
      },
    );
  } else {
    runHop(rotations, Number(process.argv[3]));
  }
}
