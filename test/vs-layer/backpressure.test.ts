// Backpressure: a slow pull consumer stops the reading of the daemon socket instead of buffering
// without bound, and loses nothing; a consumer that never reads is eventually dropped by the
// daemon (its session limit is the bound), which surfaces as VsDisconnectedError, never as
// silently missing messages. process$ paces an async project the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import type { RunningDaemon } from '../../daemon/index.ts';
import { VsDisconnectedError } from '../../vs-layer/errors.ts';
import { connect, daemon, next, text, within } from './helpers.ts';

let d: RunningDaemon;
before(async () => {
  d = await daemon('vsb1');
});
after(async () => {
  await d?.stop();
});

test('a slow iterator holds at most about its high-water mark and receives every message in order', async () => {
  const r = await connect(d, 'bp-r');
  const s = await connect(d, 'bp-s');
  const gr = await r.join('bp');
  const it = gr.iterate({ highWaterMark: 20 });
  const first = await it.next();
  assert.equal(first.value?.kind, 'view');
  const gs = await s.join('bp');
  await next(gs.views$, (v) => v.members.length === 2);
  const N = 600;
  const sending = (async () => {
    for (let i = 0; i < N; i++) await gs.send(new TextEncoder().encode(String(i)), { service: i % 2 === 0 ? 'fifo' : 'agreed' });
  })();
  const got: number[] = [];
  let maxBuffered = 0;
  while (got.length < N) {
    const e = await within(it.next(), 15_000, `message ${got.length}`);
    assert.equal(e.done, false);
    maxBuffered = Math.max(maxBuffered, gr.stats().buffered);
    if (e.value.kind === 'message' && e.value.message.sender === s.privateName) got.push(Number(text(e.value.message.payload)));
    if (got.length % 50 === 0) await new Promise((res) => setTimeout(res, 5)); // a slow consumer
  }
  await sending;
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
  assert.ok(maxBuffered <= 25, `buffered at most ${maxBuffered} events`);
  await it.return!();
  await Promise.all([r.close(), s.close()]);
});

test('process$ runs an async project one event at a time, in order', async () => {
  const r = await connect(d, 'pr-r');
  const gr = await r.join('pr');
  let running = 0;
  let overlap = false;
  const out = gr.process$(
    async (e) => {
      running++;
      if (running > 1) overlap = true;
      await new Promise((res) => setTimeout(res, 1));
      running--;
      return e.kind === 'message' ? text(e.message.payload) : e.kind;
    },
    { highWaterMark: 5 },
  );
  const all = lastValueFrom(out.pipe(toArray()));
  await next(gr.views$);
  for (let i = 0; i < 30; i++) await gr.send(new TextEncoder().encode(`m${i}`));
  await new Promise((res) => setTimeout(res, 200));
  await gr.leave();
  const seen = await within(all);
  assert.equal(overlap, false);
  assert.deepEqual(seen.filter((x) => x.startsWith('m')), Array.from({ length: 30 }, (_, i) => `m${i}`));
  assert.equal(seen[0], 'view');
  assert.equal(seen.at(-1), 'left');
  await r.close();
});

test('a member that stops reading is dropped by the daemon at its session limit; it then reads a gapless prefix and VsDisconnectedError', async () => {
  const small = await daemon('vsb2', { maxSessionMessages: 200 });
  try {
    const r = await connect(small, 'stuck');
    const s = await connect(small, 'flood');
    const gr = await r.join('stuck');
    const it = gr.iterate({ highWaterMark: 5 });
    assert.equal((await it.next()).value?.kind, 'view');
    const gs = await s.join('stuck');
    await next(gs.views$, (v) => v.members.length === 2);
    let dropped = false;
    const gone = next(gs.views$, (v) => v.members.length === 1, 30_000).then((v) => {
      dropped = true;
      return v;
    });
    // Paced so that the sender itself keeps up with reading its own copies.
    let sent = 0;
    const payload = new Uint8Array(8192);
    while (!dropped && sent < 20_000) {
      payload.set(new TextEncoder().encode(`${sent};`));
      await gs.send(payload);
      sent++;
      if (sent % 10 === 0) await new Promise((res) => setImmediate(res));
    }
    const v = await within(gone, 30_000, 'the daemon to drop the reader');
    assert.deepEqual(v.disconnected, [r.privateName]);
    // The stuck member catches up: everything it gets is in order with no gap, then the error.
    const got: number[] = [];
    let end: unknown;
    try {
      for (;;) {
        const e = await within(it.next(), 15_000, 'draining');
        if (e.done === true) break;
        if (e.value.kind === 'message') got.push(Number(text(e.value.message.payload).split(';')[0]));
      }
    } catch (err) {
      end = err;
    }
    assert.ok(end instanceof VsDisconnectedError, String(end));
    assert.ok(got.length > 0 && got.length < sent, `${got.length} of ${sent} delivered before the drop`);
    assert.deepEqual(got, Array.from({ length: got.length }, (_, i) => i), 'a gapless prefix');
    assert.ok((await r.closed) instanceof VsDisconnectedError);
    await s.close();
  } finally {
    await small.stop();
  }
});
