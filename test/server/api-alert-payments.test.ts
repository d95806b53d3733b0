import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { at, json, PEOPLE, seedEvent, startApi } from './api-harness.js';

/**
 * GET /api/alerts names each alert's payment from its event's summary: a page of alerts costs one
 * store read of summaries, not one event read per alert (src/server/api/alert-payment.ts). The
 * store is the real SQLite one; only its two reads are counted on the way through.
 */

type Reads = { getEvent: number; getEventSummaries: number };

/** The real store, with how often the API asked it for one event or for many summaries. */
function countingReads(store: Store, reads: Reads): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if ((property === 'getEvent' || property === 'getEventSummaries') && typeof value === 'function') {
        return (...args: unknown[]) => {
          reads[property] += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value;
    },
  });
}

test("alerts: a page of 30 alerts names each one's payment with one summaries read, no event read per alert", async () => {
  const reads: Reads = { getEvent: 0, getEventSummaries: 0 };
  const { dir, remove } = tempDatabaseDir('webpig-alert-payments-');
  const h = await startApi({ openStore: async () => countingReads(SqliteStore.open(`sqlite:${join(dir, 'api.db')}`), reads) });
  try {
    const events = [];
    for (let i = 0; i < 30; i++) {
      events.push(await seedEvent(h.store, { summary: { customer: { name: `Cliente ${i}` }, amount: 1_000 * i, currency: 'COP' } }));
    }
    for (const [i, event] of events.entries()) {
      await h.store.recordAlert({ at: at(i), kind: 'custom', message: `about ${i}`, eventId: event.id });
    }
    // Two alerts about one event, one about an event that is gone, one about none.
    await h.store.recordAlert({ at: at(40), kind: 'dead', message: 'again', eventId: events[0]!.id });
    await h.store.recordAlert({ at: at(41), kind: 'custom', message: 'purged', eventId: 999_999 });
    await h.store.recordAlert({ at: at(42), kind: 'custom', message: 'no event', eventId: null });
    reads.getEvent = 0;
    reads.getEventSummaries = 0;

    const response = await h.request('GET', '/api/alerts?limit=100', await h.session(PEOPLE.viewer));
    assert.equal(response.statusCode, 200, response.body);
    const items = json<{ items: Array<{ message: string; payment: unknown }> }>(response).items;
    const payment = (message: string) => items.find((item) => item.message === message)?.payment;
    assert.equal(items.length, 33);
    assert.deepEqual(payment('about 7'), { customer: 'Cliente 7', amount: 7_000, currency: 'COP' });
    assert.deepEqual(payment('again'), { customer: 'Cliente 0', amount: 0, currency: 'COP' });
    assert.equal(payment('purged'), null);
    assert.equal(payment('no event'), null);
    assert.deepEqual(reads, { getEvent: 0, getEventSummaries: 1 }, 'one read for the page, none per alert');
  } finally {
    await h.close();
    remove();
  }
});
