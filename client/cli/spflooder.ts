// spflooder: the throughput tool of the Spread toolkit (the reference's examples/flooder.c), on
// our C-style API. Same flags and printed lines; it also prints the elapsed time and the rate
// (the reference leaves that to `time`), and with --json one machine-readable line.
//
// Flow control as in the reference: after the first 200 messages, each send is followed by
// receives until our own message comes back (or, with -n, until every sender is within 200).
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  BUFFER_TOO_SHORT,
  DROP_RECV,
  FIFO_MESS,
  GROUPS_TOO_SHORT,
  Is_agreed_mess,
  Is_caused_leave_mess,
  Is_causal_mess,
  Is_fifo_mess,
  Is_membership_mess,
  Is_reg_memb_mess,
  Is_regular_mess,
  Is_reject_mess,
  Is_reliable_mess,
  Is_safe_mess,
  Is_transition_mess,
  Is_unreliable_mess,
  RELIABLE_MESS,
  SP_connect,
  SP_disconnect,
  SP_error,
  SP_join,
  SP_multicast,
  SP_receive,
  newReceiveParams,
} from '../sp.ts';
import { SERVICE_BITS, type ServiceName } from '../api/spread-message.ts';
import { Printer, cString, padLeft, parseCliFlags } from './io.ts';
import { spreadAddress } from './spread-arg.ts';

const MAX_MESSLEN = 100000;
const FLOODER_MAX_GROUPS = 100;
const WINDOW = 200;
const GROUP = 'flooder';

interface Flags {
  user: string;
  spread: string;
  messages: number;
  bytes: number;
  members: number;
  readOnly: boolean;
  writeOnly: boolean;
  service?: ServiceName;
  json?: boolean;
}

function intArg(min: number, max: number): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in ${min}..${max}.`);
    return n;
  };
}

function parseFlags(argv: string[], printer: Printer): Flags {
  // The reference spells two flags with one dash and two letters; commander wants long names.
  let lastMode: 'ro' | 'wo' | undefined;
  const args = argv.map((a) => {
    if (a === '-ro') {
      lastMode = 'ro';
      return '--read-only';
    }
    if (a === '-wo') {
      lastMode = 'wo';
      return '--write-only';
    }
    if (a === '--read-only') lastMode = 'ro';
    if (a === '--write-only') lastMode = 'wo';
    return a;
  });
  const program = new Command('spflooder')
    .description('Spread throughput test (drop-in for the reference spflooder)')
    .option('-u, --user <user name>', 'unique (in this machine) user name', 'flooder')
    .option('-m, --messages <num messages>', 'number of messages', intArg(0, 2 ** 31 - 1), 10000)
    .option('-n, --members <num members>', 'number of group members to wait for (also turn on multi-sender FC)', intArg(0, FLOODER_MAX_GROUPS), 0)
    .option('-b, --bytes <num bytes>', 'number of bytes per message 1-100,000', intArg(1, MAX_MESSLEN), 1000)
    .option('-s, --spread <spread name>', 'either port or port@machine (or a Unix socket path starting with /)', '4803')
    .option('--read-only', 'read only (no multicast); the reference spells it -ro', false)
    .option('--write-only', 'write only (no receive, no join); the reference spells it -wo', false)
    .addOption(
      new Option('--service <service>', 'service for the messages (default: reliable, or fifo with -n, as the reference)').choices(Object.keys(SERVICE_BITS)),
    )
    .option('--json', 'print one JSON line with the figures at the end')
;
  const o = parseCliFlags<Flags>(program, args, printer);
  return { ...o, readOnly: lastMode === 'ro', writeOnly: lastMode === 'wo' };
}

function serviceLabel(t: number): string {
  if (Is_unreliable_mess(t)) return 'UNRELIABLE';
  if (Is_reliable_mess(t)) return 'RELIABLE';
  if (Is_fifo_mess(t)) return 'FIFO';
  if (Is_causal_mess(t)) return 'CAUSAL';
  if (Is_agreed_mess(t)) return 'AGREED';
  if (Is_safe_mess(t)) return 'SAFE';
  return '';
}

async function main(): Promise<never> {
  const p = new Printer();
  const f = parseFlags(process.argv.slice(2), p);
  const withMembers = f.members > 0;
  const service = f.service !== undefined ? SERVICE_BITS[f.service] : withMembers ? FIFO_MESS : RELIABLE_MESS;
  const mess = Buffer.alloc(MAX_MESSLEN);
  const recvMess = Buffer.alloc(MAX_MESSLEN);
  const fail = async (ret: number): Promise<never> => {
    p.print(`${SP_error(ret)}\n`);
    return p.exit(1);
  };

  p.print(withMembers ? `flooder: connecting to ${f.spread} with group membership\n` : `flooder: connecting to ${f.spread}\n`);
  const out = { mbox: -1, privateGroup: '' };
  const cret = await SP_connect(spreadAddress(f.spread), f.user, 0, withMembers ? 1 : 0, out);
  if (cret < 0) return fail(cret);
  const mbox = out.mbox;

  if (f.readOnly) {
    p.print('flooder: Only receiving messages\n');
    await SP_join(mbox, GROUP);
  } else if (f.writeOnly) {
    p.print(`flooder: starting  multicast of ${f.messages} messages, ${f.bytes} bytes each (self discarding).\n`);
  } else {
    await SP_join(mbox, GROUP);
    p.print(`flooder: starting  multicast of ${f.messages} messages, ${f.bytes} bytes each.\n`);
  }

  const r = newReceiveParams(FLOODER_MAX_GROUPS);
  let ret = 0;
  // Wait for -n members, printing what arrives meanwhile.
  let joined = 0;
  while (joined < f.members) {
    r.serviceType = 0;
    ret = await SP_receive(mbox, r, recvMess.length, recvMess);
    if (ret === GROUPS_TOO_SHORT || ret === BUFFER_TOO_SHORT) {
      p.print('\n========Buffers or Groups too Short=======\n');
      p.print('Should NOT happen in wait for members! Program quitting\n');
      return p.exit(1);
    }
    if (ret < 0) return fail(ret);
    const t = r.serviceType;
    if (Is_regular_mess(t)) {
      p.print(`received ${serviceLabel(t)} `);
      p.print(`message during wait for members, from ${r.sender}, of type ${r.messType}, (endian ${r.endianMismatch}) to ${r.numGroups} groups \n(${ret} bytes): `);
      p.print(cString(recvMess.subarray(0, ret)));
      p.print('\n');
    } else if (Is_membership_mess(t)) {
      if (Is_reg_memb_mess(t)) {
        p.print(`Received REGULAR membership for group ${r.sender} with ${r.numGroups} members, where I am member ${r.messType}:\n`);
        for (let i = 0; i < r.numGroups; i++) p.print(`\t${r.groups[i]}\n`);
        joined = r.numGroups;
      } else if (Is_transition_mess(t)) p.print(`received TRANSITIONAL membership for group ${r.sender}\n`);
      else if (Is_caused_leave_mess(t)) p.print(`received membership message that left group ${r.sender}\n`);
      else p.print(`received incorrecty membership message of type 0x${(t >>> 0).toString(16)}\n`);
    } else if (Is_reject_mess(t)) {
      p.print(
        `REJECTED message from ${r.sender}, of servicetype 0x${(t >>> 0).toString(16)} messtype ${r.messType}, (endian ${r.endianMismatch}) to ${r.numGroups} groups \n(${ret} bytes): `,
      );
      p.print(cString(recvMess.subarray(0, ret)));
      p.print('\n');
    } else p.print(`received message of unknown message type 0x${(t >>> 0).toString(16)} with ret ${ret}\n`);
  }

  // With -n, each message carries the sender's index in the member list (little-endian int).
  const recvCounters = new Array<number>(FLOODER_MAX_GROUPS).fill(0);
  let sendCounter = 0;
  let lowestRecvCounter = 0;
  if (withMembers) mess.writeInt32LE(r.messType, 0);

  const started = process.hrtime.bigint();
  for (let i = 1; i <= f.messages; i++) {
    if (!f.readOnly) {
      ret = await SP_multicast(mbox, service, GROUP, 0, f.bytes, mess);
      if (withMembers) sendCounter++;
      if (ret !== f.bytes) {
        if (ret < 0) return fail(ret);
        p.print(`sent a different message ${f.bytes} -> ${ret}\n`);
      }
    }
    if (f.readOnly || (i > WINDOW && !f.writeOnly)) {
      let notDone: boolean;
      do {
        r.serviceType = 0;
        ret = await SP_receive(mbox, r, recvMess.length, recvMess);
        if (ret === GROUPS_TOO_SHORT || ret === BUFFER_TOO_SHORT) {
          r.serviceType = DROP_RECV;
          p.print('\n========Buffers or Groups too Short=======\n');
          ret = await SP_receive(mbox, r, recvMess.length, recvMess);
        }
        if (ret < 0) return fail(ret);
        if (withMembers) {
          if (Is_regular_mess(r.serviceType) && ret >= 4) {
            const senderIndex = recvMess.readInt32LE(0);
            if (senderIndex >= 0 && senderIndex < FLOODER_MAX_GROUPS) {
              recvCounters[senderIndex]!++;
              if (recvCounters[senderIndex] === lowestRecvCounter + 1) {
                let lowest = Infinity;
                for (let j = 0; j < f.members; j++) {
                  const c = recvCounters[j]!;
                  if (c !== 0 && c < lowest) lowest = c;
                }
                lowestRecvCounter = lowest === Infinity ? 0 : lowest;
              }
            }
          }
          notDone = lowestRecvCounter < sendCounter - WINDOW && !f.readOnly;
        } else {
          notDone = r.sender !== out.privateGroup && !f.readOnly;
        }
      } while (notDone);
    }
    if (i % 1000 === 0) p.print(`flooder: completed ${padLeft(i, 6)} messages of ${ret} bytes\n`);
  }
  p.print(`flooder: completed multicast of ${f.messages} messages, ${f.bytes} bytes each.\n`);

  await SP_disconnect(mbox);
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = elapsedS > 0 ? f.messages / elapsedS : 0;
  const mbit = elapsedS > 0 ? (f.messages * f.bytes * 8) / elapsedS / 1e6 : 0;
  p.print(`flooder: elapsed ${elapsedS.toFixed(3)} s, ${rate.toFixed(0)} messages/s, ${mbit.toFixed(2)} Mbit/s\n`);
  if (f.json === true) {
    const mode = f.readOnly ? 'read-only' : f.writeOnly ? 'write-only' : 'read-write';
    const serviceName = (Object.keys(SERVICE_BITS) as ServiceName[]).find((k) => SERVICE_BITS[k] === service);
    p.print(
      `${JSON.stringify({
        tool: 'spflooder',
        mode,
        service: serviceName,
        messages: f.messages,
        bytesPerMessage: f.bytes,
        members: f.members,
        elapsedSeconds: Number(elapsedS.toFixed(6)),
        messagesPerSecond: Number(rate.toFixed(1)),
        megabitsPerSecond: Number(mbit.toFixed(3)),
      })}\n`,
    );
  }
  return p.exit(0);
}

await main();
