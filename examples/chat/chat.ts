// chat: a tiny group chat on the class API (SpreadConnection). Each line typed is multicast to
// the room with Agreed delivery (every member sees all lines in one order); lines from others
// are printed as "<name> text", and joins, leaves and disconnects as "* ..." lines.
// "/who" lists the room, "/quit" or end of input leaves.
import { Command } from 'commander';
import { createInterface } from 'node:readline';
import { SpreadConnection, SpreadMessage, type MembershipInfo } from '../../client/index.ts';
import { die, messageOf } from '../cli.ts';

interface Options {
  name: string;
  room: string;
  spread: string;
}

const program = new Command('chat')
  .description('a group chat over Spread: lines typed go to everyone in the room')
  .requiredOption('--name <name>', 'your name: the Spread private name (at most 10 characters, unique per daemon)')
  .option('--room <group>', 'the room (a Spread group)', 'lobby')
  .option('--spread <daemon>', 'Spread daemon: port@host', '4803@127.0.0.1')
  .showHelpAfterError()
  .addHelpText('after', '\nWhile chatting: /who lists the room, /quit (or Ctrl-D) leaves.\nExample:\n  chat --name alice --room lobby');

/** "#alice#d1" -> "alice" */
const who = (privateGroup: string): string => /^#([^#]*)#/.exec(privateGroup)?.[1] ?? privateGroup;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** What a regular membership tells the room, given the members before it. */
function describe(info: MembershipInfo, before: readonly string[], me: string): string | undefined {
  const members = info.getMembers().map((g) => g.name);
  const here = `(here: ${members.map(who).join(', ')})`;
  if (!before.includes(me)) return `* you joined ${info.getGroup().name} as ${who(me)} ${here}`;
  const one = info.getJoined() ?? info.getLeft() ?? info.getDisconnected();
  if (info.isCausedByJoin() && one !== undefined) return `* ${who(one.name)} joined ${here}`;
  if (info.isCausedByLeave() && one !== undefined) return `* ${who(one.name)} left ${here}`;
  if (info.isCausedByDisconnect() && one !== undefined) return `* ${who(one.name)} disconnected ${here}`;
  const gone = before.filter((m) => !members.includes(m)).map(who);
  const came = members.filter((m) => !before.includes(m)).map(who);
  if (gone.length === 0 && came.length === 0) return undefined;
  return `* network change:${came.length > 0 ? ` ${came.join(', ')} came back;` : ''}${gone.length > 0 ? ` lost ${gone.join(', ')};` : ''} ${here}`;
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<Options>();
  const conn = await SpreadConnection.connect({ spread: o.spread, privateName: o.name, membership: true });
  const me = conn.getPrivateGroup().name;
  const room = await conn.join(o.room);
  let members: string[] = [];
  let leaving = false;

  const leave = async (): Promise<void> => {
    if (leaving) return;
    leaving = true;
    // Leave first, so the others see "left" rather than "disconnected".
    await room.leave().catch(() => undefined);
    await conn.close();
    say('* bye');
    process.exit(0);
  };

  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const text = line.trim();
    if (text === '' || leaving) return;
    if (text === '/quit') return void leave();
    if (text === '/who') return say(`* here: ${members.map(who).join(', ')}`);
    // Self-discard: the daemon does not send our own lines back to us.
    conn.multicast(new SpreadMessage().setAgreed().setSelfDiscard().addGroup(room).setData(text)).catch((err: unknown) => die('chat', err));
  });
  input.on('close', () => void leave());
  process.on('SIGINT', () => void leave());
  process.on('SIGTERM', () => void leave());

  try {
    for await (const m of conn) {
      if (m.isMembership()) {
        const info = m.getMembershipInfo();
        if (!info.isRegularMembership() || !info.getGroup().equals(o.room)) continue;
        const line = describe(info, members, me);
        members = info.getMembers().map((g) => g.name);
        if (line !== undefined) say(line);
      } else if (m.isRegular()) {
        say(`<${who(m.getSender()?.name ?? '?')}> ${m.text}`);
      }
    }
  } catch (err) {
    if (!leaving) die('chat', `connection lost: ${messageOf(err)}`);
  }
  if (!leaving) die('chat', 'the daemon closed the connection');
}

main().catch((err: unknown) => die('chat', err));
