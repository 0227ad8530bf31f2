// WATER_MARK back-pressure (design 8.4): when the down queue holds 500 messages the session layer
// stops reading every client, and reads again once the orderer has drained it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AGREED_MESS, SPREAD_VERSION, encodeAuthChoice, encodeConnectRequest, encodeMessageHead,
} from '../../../client/wire/index.ts';
import { GroupTable } from '../../../daemon/groups/group-table.ts';
import { silentLog } from '../../../daemon/logging.ts';
import type { DeliverHandler, Orderer, PacketClass } from '../../../daemon/orderer.ts';
import type { ClientStream, Session } from '../../../daemon/session/session.ts';
import { SessionLayer, WATER_MARK } from '../../../daemon/session/session-layer.ts';

/** An orderer that holds everything until the test releases it. */
class HeldOrderer implements Orderer {
  held: Array<[PacketClass, Buffer]> = [];
  private deliver: DeliverHandler = () => {};
  private drained: () => void = () => {};
  get downQueueLength(): number {
    return this.held.length;
  }
  submit(service: PacketClass, payload: Buffer): void {
    this.held.push([service, payload]);
  }
  onDeliver(h: DeliverHandler): void {
    this.deliver = h;
  }
  onDrained(h: () => void): void {
    this.drained = h;
  }
  release(): void {
    const batch = this.held;
    this.held = [];
    for (const [s, p] of batch) this.deliver(s, p);
    this.drained();
  }
  async stop(): Promise<void> {}
}

class FakeStream implements ClientStream {
  paused = false;
  written: Buffer[] = [];
  writableLength = 0;
  write(buf: Uint8Array): boolean {
    this.written.push(Buffer.from(buf));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  destroy(): this {
    return this;
  }
  end(): this {
    return this;
  }
}

test('reading stops at WATER_MARK and resumes once the down queue drains', async () => {
  const orderer = new HeldOrderer();
  const groups = new GroupTable<Session>({ selfDaemon: 'sp1', daemonOrder: () => 0, wantsMembership: () => false }, { procId: 1, time: 1 });
  const layer = new SessionLayer({
    daemonName: 'sp1', daemonVersion: SPREAD_VERSION, orderer, groups, log: silentLog, random: () => 0.5, now: () => 0,
  });
  const streams = [new FakeStream(), new FakeStream()];
  const sessions = streams.map((st, i) => {
    const s = layer.accept(st, `peer${i}`)!;
    layer.onData(s, encodeConnectRequest(SPREAD_VERSION, false, false, `c${i}`));
    layer.onData(s, encodeAuthChoice(['NULL']));
    assert.equal(s.state, 'open');
    return s;
  });
  const one = Buffer.concat([encodeMessageHead(AGREED_MESS, '#c0#sp1', ['g'], 0, 4), Buffer.from('data')]);
  layer.onData(sessions[0]!, Buffer.concat(Array.from({ length: WATER_MARK - 1 }, () => one)));
  assert.ok(streams.every((s) => !s.paused), 'below the mark nobody is paused');
  layer.onData(sessions[0]!, one);
  assert.equal(orderer.downQueueLength, WATER_MARK);
  assert.ok(streams.every((s) => s.paused), 'at the mark every client is paused, not only the sender');
  orderer.release();
  assert.ok(streams.every((s) => !s.paused), 'reading resumes after the drain');
  layer.closeAll();
});
