// A ring driver in its own process, for the UDP membership tests: the parent kills it with
// SIGKILL and starts it again on the same ports. Arguments: port, daemon index (of three),
// timeouts as JSON. Prints one JSON line per configuration change and per delivered message;
// reads "partition c1 c2 c3", "heal" and "send SERVICE TEXT" lines on stdin.
import { createInterface } from 'node:readline';
import { RingDriver } from '../../../daemon/net/ring-driver.ts';
import type { RingService } from '../../../daemon/ring/index.ts';
import { testConfig } from '../../sim/config.ts';

const [port, index, timeouts] = [Number(process.argv[2]), Number(process.argv[3]), JSON.parse(process.argv[4]!)];
const config = { ...testConfig({ daemons: 3, port }), timeouts };
const driver = new RingDriver({ config, self: config.daemons[index]! });
driver.onDeliver((u) => {
  if (u.type === 'message') console.log(JSON.stringify({ type: 'message', text: Buffer.from(u.payload).toString(), config: u.configId }));
  else console.log(JSON.stringify(u));
});
await driver.start();
console.log(JSON.stringify({ type: 'started' }));
createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, ...rest] = line.trim().split(' ');
  if (cmd === 'partition') driver.setPartition(rest.map(Number));
  else if (cmd === 'heal') driver.setPartition(undefined);
  else if (cmd === 'send') driver.submit({ service: rest[0] as RingService, payload: Buffer.from(rest.slice(1).join(' ')) });
});
