import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PEOPLE, seedEvent, startApi, withCsrf, type Harness } from './api-harness.js';

/** Reads server-sent messages from a fetch body until `done` says it has what it waits for. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  done: (messages: Array<{ event: string; data: unknown }>, comments: string[]) => boolean,
): Promise<{ messages: Array<{ event: string; data: unknown }>; comments: string[] }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const messages: Array<{ event: string; data: unknown }> = [];
  const comments: string[] = [];
  let buffer = '';
  while (!done(messages, comments)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) messages.push({ event, data: JSON.parse(data) });
    }
  }
  reader.releaseLock();
  return { messages, comments };
}

describe('GET /api/stream (Server-Sent Events over a real socket)', () => {
  let h: Harness & { baseUrl: string };
  before(async () => {
    h = await startApi({ listen: true, streamPollMs: 20 });
  });
  after(() => h.close());

  test('needs credentials', async () => {
    const response = await fetch(`${h.baseUrl}/api/stream`);
    assert.equal(response.status, 401);
    await response.body?.cancel();
  });

  test('delivers a new event, its checkpoints, and a retry of an old one', async () => {
    const dead = await seedEvent(h.store, { finalStatus: 'dead' });
    const viewer = await h.session(PEOPLE.viewer);
    const controller = new AbortController();
    const response = await fetch(`${h.baseUrl}/api/stream`, { headers: viewer.headers, signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(response.body);
    // Wait for the "connected" comment: from then on no change can be missed.
    await readUntil(response.body, (_m, comments) => comments.includes('connected'));

    const fresh = await seedEvent(h.store, { stages: [{ stage: 'crm_upsert', status: 'success' }] });
    const isSuccess = (m: { event: string; data: unknown }) =>
      m.event === 'checkpoint' && JSON.stringify(m.data) === JSON.stringify({ eventId: fresh.id, stage: 'crm_upsert', status: 'success' });
    const first = await readUntil(response.body, (messages) => messages.some(isSuccess));
    assert.ok(first.messages.some((m) => m.event === 'event' && (m.data as { id: number }).id === fresh.id));
    // The feed may also have caught the stage while it was processing; never anything else.
    for (const m of first.messages.filter((m) => m.event === 'checkpoint')) {
      assert.ok(['processing', 'success'].includes((m.data as { status: string }).status));
    }
    assert.ok(!first.messages.some((m) => (m.data as { id?: number }).id === dead.id), 'the present is not replayed');

    const operator = withCsrf(await h.session(PEOPLE.operator));
    const retry = await fetch(`${h.baseUrl}/api/events/${dead.id}/retry`, { method: 'POST', headers: operator.headers });
    assert.equal(retry.status, 200);
    const second = await readUntil(response.body, (messages) =>
      messages.some((m) => m.event === 'event' && (m.data as { id: number }).id === dead.id),
    );
    assert.deepEqual(second.messages.find((m) => (m.data as { id?: number }).id === dead.id)?.data, { id: dead.id, status: 'queued' });
    controller.abort();
  });
});

describe('ChangeFeed', () => {
  test('reports changes after its first look, to every listener, and stops when the last one leaves', async () => {
    const h = await startApi();
    try {
      const { ChangeFeed } = await import('../../src/server/sse.js');
      const before = await seedEvent(h.store, {});
      // A long interval: the test drives the ticks itself.
      const feed = new ChangeFeed(h.store, { pollMs: 3_600_000 });
      const a: unknown[] = [];
      const b: unknown[] = [];
      const stopA = await feed.subscribe((messages) => a.push(...messages));
      const stopB = await feed.subscribe((messages) => b.push(...messages));
      assert.equal(feed.running, true);
      await feed.tick();
      assert.deepEqual(a, [], 'what existed at subscription is not reported');
      const queued = await seedEvent(h.store, { finalStatus: 'queued' });
      await feed.tick();
      assert.deepEqual(a, [{ type: 'event', data: { id: queued.id, status: 'queued' } }]);
      assert.deepEqual(b, a);
      assert.ok(!JSON.stringify(a).includes(`"id":${before.id},`));
      stopA();
      assert.equal(feed.running, true);
      stopB();
      assert.equal(feed.running, false, 'no listener: no polling');
    } finally {
      await h.close();
    }
  });
});
