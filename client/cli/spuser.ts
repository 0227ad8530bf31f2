// spuser: the interactive test client of the Spread toolkit (the reference's examples/user.c),
// on our C-style API. Same flags, commands, prompts and printed lines, so scripts written for one
// work with the other. Commands are read from stdin with fgets semantics; messages are printed as
// they arrive (before the next command), unless asynchronous reading is turned off with `d`.
import { Command } from 'commander';
import { pwordAuth } from '../auth.ts';
import {
  BUFFER_TOO_SHORT,
  DROP_RECV,
  FIFO_MESS,
  GROUPS_TOO_SHORT,
  Is_agreed_mess,
  Is_caused_disconnect_mess,
  Is_caused_join_mess,
  Is_caused_leave_mess,
  Is_caused_network_mess,
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
  SAFE_MESS,
  SP_connect_timeout,
  SP_disconnect,
  SP_error,
  SP_get_memb_info,
  SP_get_vs_set_members,
  SP_get_vs_sets_info,
  SP_join,
  SP_leave,
  SP_message_waiting,
  SP_multicast,
  SP_multigroup_multicast,
  SP_poll,
  SP_receive,
  SP_set_auth_method,
  SP_version,
  SP_wait_message,
  newMembershipInfo,
  newReceiveParams,
  type SpVsSetInfo,
} from '../sp.ts';
import { FgetsReader, Printer, cString, parseCliFlags, scanUnsigned, scanWords } from './io.ts';
import { spreadAddress } from './spread-arg.ts';

const MAX_MESSLEN = 102400;
const MAX_VSSETS = 10;
const MAX_MEMBERS = 100;
const COMMAND_BYTES = 130;
const LINE_BYTES = 200;

const hex = (n: number): string => (n >>> 0).toString(16);

interface Flags {
  user: string;
  spread: string;
  random?: boolean;
  pwordUser?: string;
  password?: string;
}

function parseFlags(argv: string[], printer: Printer): Flags {
  const program = new Command('spuser')
    .description('Interactive Spread test client (drop-in for the reference spuser)')
    .option('-u, --user <user name>', 'unique (in this machine) user name', 'user')
    .option('-s, --spread <address>', 'either port or port@machine (or a Unix socket path starting with /)', '4803')
    .option('-r, --random', 'use random user name')
    .option('-n, --pword-user <username>', 'username for PWORD authentication')
    .option('-p, --password <password>', "user's password for PWORD authentication")
;
  return parseCliFlags<Flags>(program, argv, printer);
}

class SpUser {
  private readonly p = new Printer();
  private readonly stdin = new FgetsReader(process.stdin);
  private mbox = -1;
  private privateGroup = '';
  private numSent = 0;
  private previousLen = 0;
  private toExit = false;
  private asyncRead = true;
  private readonly mess = Buffer.alloc(MAX_MESSLEN + 1);

  constructor(private readonly flags: Flags) {}

  async run(): Promise<never> {
    const { major, minor, patch } = SP_version();
    this.p.print(`Spread library version is ${major}.${minor}.${patch}\n`);
    const user = this.flags.random === true ? '' : this.flags.user;
    if (this.flags.pwordUser !== undefined || this.flags.password !== undefined)
      SP_set_auth_method(pwordAuth(this.flags.pwordUser ?? '', this.flags.password ?? ''));
    const out = { mbox: -1, privateGroup: '' };
    const ret = await SP_connect_timeout(spreadAddress(this.flags.spread), user, 0, 1, out, { sec: 5, usec: 0 });
    if (ret !== 1) {
      this.p.print(`${SP_error(ret)}\n`);
      this.p.print('\nBye.\n');
      return this.p.exit(1);
    }
    this.mbox = out.mbox;
    this.privateGroup = out.privateGroup;
    this.p.print(`User: connected to ${this.flags.spread} with private group ${this.privateGroup}\n`);
    this.printMenu();
    this.p.print('\nUser> ');

    // The reference's event loop: the mailbox has priority over stdin.
    for (;;) {
      if (this.asyncRead && SP_message_waiting(this.mbox) === 1) {
        await this.readMessage();
        continue;
      }
      if (this.stdin.lineReady) {
        await this.userCommand();
        continue;
      }
      const ac = new AbortController();
      const waits: Array<Promise<unknown>> = [this.stdin.waitLine(ac.signal)];
      if (this.asyncRead) waits.push(SP_wait_message(this.mbox, ac.signal));
      await Promise.race(waits);
      ac.abort();
    }
  }

  private async userCommand(): Promise<void> {
    const line = await this.stdin.fgets(COMMAND_BYTES);
    if (line === null) return this.bye();
    const command = line.toString('latin1');
    const args = command.slice(2);
    switch (command[0]) {
      case 'j':
      case 'l': {
        const [group] = scanWords(args, 1);
        if (group === undefined) {
          this.p.print(' invalid group \n');
          break;
        }
        const ret = command[0] === 'j' ? await SP_join(this.mbox, group) : await SP_leave(this.mbox, group);
        if (ret < 0) this.p.print(`${SP_error(ret)}\n`);
        break;
      }
      case 's':
      case 'm': {
        const groups = scanWords(args, 10);
        if (groups.length < 1) {
          this.p.print(' invalid group \n');
          break;
        }
        this.p.print('enter message: ');
        const body = command[0] === 's' ? await this.stdin.fgets(LINE_BYTES) : await this.readMultiline();
        if (body === null) return this.bye();
        const ret = await SP_multigroup_multicast(this.mbox, SAFE_MESS, groups.length, groups, 1, body.length, body);
        if (ret < 0) {
          this.p.print(`${SP_error(ret)}\n`);
          return this.bye();
        }
        this.numSent++;
        break;
      }
      case 'b': {
        const [word] = scanWords(args, 1);
        const group = word ?? 'dummy_group_name';
        this.p.print('enter size of each message: ');
        const sizeLine = await this.stdin.fgets(LINE_BYTES);
        if (sizeLine === null) return this.bye();
        let len = scanUnsigned(sizeLine.toString('latin1')) ?? this.previousLen;
        if (len > MAX_MESSLEN) len = MAX_MESSLEN;
        this.previousLen = len;
        this.p.print(`sending 10 messages of ${len} bytes\n`);
        for (let i = 0; i < 10; i++) {
          this.numSent++;
          const body = Buffer.alloc(len);
          body.write(`mess num ${this.numSent} \0`, 0, 'latin1');
          const ret = await SP_multicast(this.mbox, FIFO_MESS, group, 2, len, body);
          if (ret < 0) {
            this.p.print(`${SP_error(ret)}\n`);
            return this.bye();
          }
          this.p.print(`sent message ${i + 1} (total ${this.numSent})\n`);
        }
        break;
      }
      case 'r':
        await this.readMessage();
        break;
      case 'p':
        this.p.print(`Polling sais: ${SP_poll(this.mbox)}\n`);
        break;
      case 'e':
        this.asyncRead = true;
        break;
      case 'd':
        this.asyncRead = false;
        break;
      case 'q':
        return this.bye();
      default:
        this.p.print('\nUnknown commnad\n');
        this.printMenu();
        break;
    }
    this.p.print('\nUser> ');
  }

  /** `m`: lines until an empty one, which is not part of the message. */
  private async readMultiline(): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let len = 0;
    while (len < MAX_MESSLEN) {
      const piece = await this.stdin.fgets(LINE_BYTES);
      if (piece === null) return null;
      if (piece[0] === 0x0a) break;
      parts.push(piece);
      len += piece.length;
    }
    return Buffer.concat(parts).subarray(0, MAX_MESSLEN);
  }

  private async readMessage(): Promise<void> {
    const r = newReceiveParams(100);
    const mess = this.mess;
    let ret = await SP_receive(this.mbox, r, MAX_MESSLEN, mess);
    this.p.print('\n============================\n');
    if (ret < 0 && (ret === GROUPS_TOO_SHORT || ret === BUFFER_TOO_SHORT)) {
      r.serviceType = DROP_RECV;
      r.maxGroups = MAX_MEMBERS;
      this.p.print('\n========Buffers or Groups too Short=======\n');
      ret = await SP_receive(this.mbox, r, MAX_MESSLEN, mess);
    }
    if (ret < 0) {
      if (!this.toExit) {
        this.p.print(`${SP_error(ret)}\n`);
        this.p.print('\n============================\n');
        this.p.print('\nBye.\n');
      }
      return this.p.exit(0);
    }
    const t = r.serviceType;
    if (Is_regular_mess(t)) {
      let kind = '';
      if (Is_unreliable_mess(t)) kind = 'UNRELIABLE';
      else if (Is_reliable_mess(t)) kind = 'RELIABLE';
      else if (Is_fifo_mess(t)) kind = 'FIFO';
      else if (Is_causal_mess(t)) kind = 'CAUSAL';
      else if (Is_agreed_mess(t)) kind = 'AGREED';
      else if (Is_safe_mess(t)) kind = 'SAFE';
      this.p.print(`received ${kind} `);
      this.p.print(`message from ${r.sender}, of type ${r.messType}, (endian ${r.endianMismatch}) to ${r.numGroups} groups \n(${ret} bytes): `);
      this.p.print(cString(mess.subarray(0, ret)));
      this.p.print('\n');
    } else if (Is_membership_mess(t)) {
      const info = newMembershipInfo();
      const ok = SP_get_memb_info(mess.subarray(0, ret), t, info);
      if (ok < 0) {
        this.p.print('BUG: membership message does not have valid body\n');
        this.p.print(`${SP_error(ok)}\n`);
        return this.p.exit(1);
      }
      if (Is_reg_memb_mess(t)) {
        this.p.print(`Received REGULAR membership for group ${r.sender} with ${r.numGroups} members, where I am member ${r.messType}:\n`);
        for (let i = 0; i < r.numGroups; i++) this.p.print(`\t${r.groups[i]}\n`);
        this.p.print(`grp id is ${info.gid.id[0]} ${info.gid.id[1]} ${info.gid.id[2]}\n`);
        if (Is_caused_join_mess(t)) this.p.print(`Due to the JOIN of ${info.changedMember}\n`);
        else if (Is_caused_leave_mess(t)) this.p.print(`Due to the LEAVE of ${info.changedMember}\n`);
        else if (Is_caused_disconnect_mess(t)) this.p.print(`Due to the DISCONNECT of ${info.changedMember}\n`);
        else if (Is_caused_network_mess(t)) {
          this.p.print(`Due to NETWORK change with ${info.numVsSets} VS sets\n`);
          const body = mess.subarray(0, ret);
          const sets: SpVsSetInfo[] = [];
          const mine = { myVsSetIndex: -1 };
          const n = SP_get_vs_sets_info(body, sets, MAX_VSSETS, mine);
          if (n < 0) {
            this.p.print(`BUG: membership message has more then ${MAX_VSSETS} vs sets. Recompile with larger MAX_VSSETS\n`);
            this.p.print(`${SP_error(n)}\n`);
            return this.p.exit(1);
          }
          for (let i = 0; i < n; i++) {
            this.p.print(`${i === mine.myVsSetIndex ? 'LOCAL' : 'OTHER'} VS set ${i} has ${sets[i]!.numMembers} members:\n`);
            const members: string[] = [];
            const m = SP_get_vs_set_members(body, sets[i]!, members, MAX_MEMBERS);
            if (m < 0) {
              this.p.print(`VS Set has more then ${MAX_MEMBERS} members. Recompile with larger MAX_MEMBERS\n`);
              this.p.print(`${SP_error(m)}\n`);
              return this.p.exit(1);
            }
            for (let j = 0; j < sets[i]!.numMembers; j++) this.p.print(`\t${members[j]}\n`);
          }
        }
      } else if (Is_transition_mess(t)) {
        this.p.print(`received TRANSITIONAL membership for group ${r.sender}\n`);
      } else if (Is_caused_leave_mess(t)) {
        this.p.print(`received membership message that left group ${r.sender}\n`);
      } else {
        this.p.print(`received incorrecty membership message of type 0x${hex(t)}\n`);
      }
    } else if (Is_reject_mess(t)) {
      this.p.print(
        `REJECTED message from ${r.sender}, of servicetype 0x${hex(t)} messtype ${r.messType}, (endian ${r.endianMismatch}) to ${r.numGroups} groups \n(${ret} bytes): `,
      );
      this.p.print(cString(mess.subarray(0, ret)));
      this.p.print('\n');
    } else {
      this.p.print(`received message of unknown message type 0x${hex(t)} with ret ${ret}\n`);
    }
    this.p.print('\n');
    this.p.print('User> ');
  }

  private printMenu(): void {
    this.p.print(
      [
        '',
        '==========',
        'User Menu:',
        '----------',
        '',
        '\tj <group> -- join a group',
        '\tl <group> -- leave a group',
        '',
        '\ts <group> -- send a message',
        '\tm <group> -- send a multiline message to group. Terminate with empty line',
        '\tb <group> -- send a burst of messages',
        '',
        '\tr -- receive a message (stuck) ',
        '\tp -- poll for a message ',
        '\te -- enable asynchonous read (default)',
        '\td -- disable asynchronous read ',
        '',
        '\tq -- quit',
        '',
      ].join('\n'),
    );
  }

  private async bye(): Promise<never> {
    this.toExit = true;
    this.p.print('\nBye.\n');
    await SP_disconnect(this.mbox);
    return this.p.exit(0);
  }
}

const printer = new Printer();
const flags = parseFlags(process.argv.slice(2), printer);
await new SpUser(flags).run();
