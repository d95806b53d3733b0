import assert from 'node:assert/strict';
import type { EventRecord } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';
import { at, json, MINUTE, PEOPLE, seedEvent, startApi, type Caller, type HarnessOptions } from './api-harness.js';

/**
 * GET /api/home and POST /api/events/:id/handled over real HTTP, on a known data set; run on
 * SQLite (api-home.test.ts) and PostgreSQL (api-home.postgres.test.ts). The clock is
 * 2026-01-15 13:00 UTC = 08:00 in Bogotá, a Thursday: "today" starts 05:00 UTC, the week on
 * Monday 12 January.
 */

const HOUR = 60 * MINUTE;
const cop = (amount: number) => ({ customer: { name: 'Cliente' }, amount, currency: 'COP' });

export interface HomeFixture {
  dead: EventRecord;
  deadEarlier: EventRecord;
  succeeded: EventRecord;
  stagesOff: EventRecord;
  reversed: EventRecord;
  running: EventRecord;
  queued: EventRecord;
  mxn: EventRecord[];
}

/** The data set (also what the home's browser test shows: tests/dashboard/home.browser.test.ts). */
export async function seedHomeData(store: Store): Promise<HomeFixture> {
  const succeeded = await seedEvent(store, { summary: cop(250_000), receivedAt: at(-30 * MINUTE) });
  const dead = await seedEvent(store, {
    summary: cop(99_000),
    receivedAt: at(-20 * MINUTE),
    stages: [{ stage: 'crm_upsert', status: 'error' }],
    finalStatus: 'dead',
  });
  await seedEvent(store, { summary: { amount: 30, currency: 'USD' }, receivedAt: at(-15 * MINUTE) });
  await seedEvent(store, { summary: cop(500_000), transactionStatus: 'rejected', receivedAt: at(-14 * MINUTE) });
  await seedEvent(store, { transactionStatus: 'rejected', receivedAt: at(-13 * MINUTE), finalStatus: 'ignored' });
  // Earlier this week (Tuesday), and 23:30 on Wednesday in Bogotá (already Thursday in UTC).
  await seedEvent(store, { summary: cop(1_000_000), receivedAt: at(-2 * 24 * HOUR) });
  const deadEarlier = await seedEvent(store, { summary: cop(40_000), receivedAt: at(-2 * 24 * HOUR + MINUTE), finalStatus: 'dead' });
  await seedEvent(store, { summary: cop(123), receivedAt: at(-7.5 * HOUR) });
  // Last week: in no total.
  await seedEvent(store, { summary: cop(7_000_000), receivedAt: at(-6 * 24 * HOUR) });
  // Today: invoiced, but the DIAN stage was switched off by its flag; an accepted payment no
  // pipeline applied to; a reversal (apart from received); other currencies, and none.
  const stagesOff = await seedEvent(store, {
    summary: cop(80_000),
    receivedAt: at(-25 * MINUTE),
    stages: [{ stage: 'worldoffice_dian_emission', status: 'skipped', flag: 'WORLDOFFICE_DIAN_ENABLED' }],
  });
  await seedEvent(store, { summary: cop(2_000), receivedAt: at(-18 * MINUTE), finalStatus: 'ignored' });
  await seedEvent(store, { summary: { amount: 10 }, receivedAt: at(-17 * MINUTE) });
  const mxn = [
    await seedEvent(store, { summary: { amount: 1_500.5, currency: 'MXN' }, receivedAt: at(-16 * MINUTE) }),
    await seedEvent(store, { summary: { amount: 800, currency: 'MXN' }, receivedAt: at(-16 * MINUTE + 1) }),
  ];
  const reversed = await seedEvent(store, { summary: cop(60_000), transactionStatus: 'reversed', receivedAt: at(-12 * MINUTE) });
  // Running now: claimed with a lease that outlasts the test's clock.
  const { event: running } = await store.insertEvent({
    source: 'epayco',
    providerEventId: 'home-running',
    entityKey: null,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: at(-11 * MINUTE),
    receivedAt: at(-11 * MINUTE),
    rawBody: Buffer.from('{}'),
    contentType: 'application/json',
    payload: {},
    summary: cop(3_000),
  });
  const claimed = await store.claimNextEvent({ workerId: 'home-running', leaseMs: 3 * HOUR, now: at(-11 * MINUTE) });
  if (claimed?.id !== running.id) throw new Error(`seeding claimed ${claimed?.id ?? 'nothing'} instead of ${running.id}`);
  // Retried on its own five minutes after the clock's now (HOME_NOW): the home says when.
  await seedEvent(store, { summary: cop(10_000), receivedAt: at(-10 * MINUTE), finalStatus: 'retrying', nextAttemptAt: NEXT_RETRY_AT });
  const queued = await seedEvent(store, { summary: cop(5_000), receivedAt: at(-5 * MINUTE), finalStatus: 'queued' });
  const rejection = { source: 'epayco', httpStatus: 401, reason: 'bad signature', remoteAddress: '127.0.0.1', firstBytes: 'x' };
  await store.recordRejection({ ...rejection, at: at(-MINUTE) });
  await store.recordRejection({ ...rejection, at: at(-2 * 24 * HOUR) });
  return { dead, deadEarlier, succeeded, stagesOff, reversed, running, queued, mxn };
}

export const HOME_NOW = new Date(at(0).getTime() + HOUR);
/** The seeded retrying event's next attempt: 13:05 UTC, 08:05 in Bogotá. */
export const NEXT_RETRY_AT = new Date(HOME_NOW.getTime() + 5 * MINUTE);

async function http(baseUrl: string, method: 'GET' | 'POST', path: string, caller: Caller, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...caller.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface HomeBody {
  attention: Record<string, number | string | null>;
  today: { money: Record<string, unknown>; ignored: unknown[]; rejected: number; since: string; recovered: number };
  week: { money: Record<string, unknown>; ignored: unknown[]; rejected: number; since: string; recovered: number };
  pinned: Array<{ id: number }>;
  reconciledSources: string[];
  reconciling: Array<{ source: string; runningSince: string; runningOn: string | null }>;
}

type Figure = { events: number; amount: number };

/**
 * Each money figure is exactly the events list its line links to (docs/api.md, "Home"): the
 * same events, the same sum; and the lines add up to received.
 */
async function figuresMatchTheirLists(baseUrl: string, caller: Caller, home: HomeBody): Promise<void> {
  for (const period of [home.today, home.week]) {
    const money = period.money as Record<string, Figure> & { otherCurrencies: Array<Figure & { currency: string | null }> };
    const paid = `transactionStatus=accepted&since=${encodeURIComponent(period.since)}`;
    const lists: Array<[string, string]> = [
      ['received', `${paid}&currency=COP`],
      ['invoiced', `${paid}&currency=COP&status=succeeded&stagesOff=false`],
      ['stagesOff', `${paid}&currency=COP&status=succeeded&stagesOff=true`],
      ['stuck', `${paid}&currency=COP&status=dead,retrying&handled=false`],
      ['handled', `${paid}&currency=COP&status=dead&handled=true`],
      ['inProgress', `${paid}&currency=COP&status=queued,processing`],
      ['ignored', `${paid}&currency=COP&status=ignored`],
      ['reversed', `transactionStatus=reversed&since=${encodeURIComponent(period.since)}&currency=COP`],
      ...money.otherCurrencies
        .filter((c) => c.currency !== null)
        .map((c): [string, string] => [`currency ${c.currency}`, `${paid}&currency=${c.currency}`]),
    ];
    for (const [key, query] of lists) {
      const reply = await http(baseUrl, 'GET', `/api/events?${query}&limit=500`, caller);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      const rows = reply.body['items'] as Array<{ summary: { amount?: number } }>;
      const figure = key.startsWith('currency ') ? money.otherCurrencies.find((c) => `currency ${c.currency}` === key) : money[key];
      const listed = { events: rows.length, amount: rows.reduce((n, r) => n + (r.summary.amount ?? 0), 0) };
      assert.deepEqual(listed, { events: figure?.events, amount: figure?.amount }, `${key}: ${query}`);
    }
    const parts = ['invoiced', 'stagesOff', 'stuck', 'handled', 'inProgress', 'ignored'].map((k) => money[k] as Figure);
    assert.equal(
      parts.reduce((n, f) => n + f.amount, 0),
      money['received']?.amount,
      'received adds up',
    );
    assert.equal(
      parts.reduce((n, f) => n + f.events, 0),
      money['received']?.events,
      'received adds up',
    );
  }
}

export async function homeCases(options: HarnessOptions): Promise<void> {
  const h = await startApi({ ...options, listen: true });
  try {
    const fixture = await seedHomeData(h.store);
    h.clock.now = HOME_NOW;
    const finance = await h.session(PEOPLE.finance);
    const home = async () => (await http(h.baseUrl, 'GET', '/api/home', finance)).body as unknown as HomeBody;

    const before = await home();
    assert.equal(before.today.since, '2026-01-15T05:00:00.000Z', 'today starts at midnight in Bogotá');
    assert.equal(before.week.since, '2026-01-12T05:00:00.000Z', 'the week starts on Monday in Bogotá');
    const others = [
      { currency: 'MXN', events: 2, amount: 2_300.5 },
      { currency: 'USD', events: 1, amount: 30 },
      { currency: null, events: 1, amount: 10 },
    ];
    const todayMoney = {
      received: { events: 7, amount: 449_000 },
      invoiced: { events: 1, amount: 250_000 },
      stagesOff: { events: 1, amount: 80_000 },
      stuck: { events: 2, amount: 109_000 },
      handled: { events: 0, amount: 0 },
      inProgress: { events: 2, amount: 8_000 },
      ignored: { events: 1, amount: 2_000 },
      reversed: { events: 1, amount: 60_000 },
      otherCurrency: 4,
      otherCurrencies: others,
    };
    assert.deepEqual(before.today.money, todayMoney);
    // The week's earlier days add received, invoiced and stuck payments; every other figure is today's.
    assert.deepEqual(before.week.money, {
      ...todayMoney,
      received: { events: 10, amount: 1_489_123 },
      invoiced: { events: 3, amount: 1_250_123 },
      stuck: { events: 3, amount: 149_000 },
    });
    await figuresMatchTheirLists(h.baseUrl, finance, before);
    assert.deepEqual(before.today.ignored, [{ kind: 'not_applicable', events: 2 }]);
    assert.equal(before.today.rejected, 1);
    assert.equal(before.week.rejected, 2);
    assert.deepEqual(before.attention, {
      queued: 1,
      processing: 1,
      retrying: 1,
      dead: 2,
      deadUnhandled: 2,
      nextRetryAt: NEXT_RETRY_AT.toISOString(),
    });
    assert.deepEqual(
      before.pinned.map((row) => row.id),
      [fixture.deadEarlier.id, fixture.dead.id],
    );

    // The metrics' hours add up, ignored events included (the last 24 h: 15 of the 18 events).
    const metrics = await http(h.baseUrl, 'GET', '/api/metrics', finance);
    const buckets = metrics.body['throughput'] as Array<Record<string, number>>;
    for (const b of buckets)
      assert.equal(b['received'], (b['succeeded'] ?? 0) + (b['ignored'] ?? 0) + (b['failed'] ?? 0) + (b['inFlight'] ?? 0));
    const sum = (key: string) => buckets.reduce((n, b) => n + (b[key] ?? 0), 0);
    assert.deepEqual(['received', 'succeeded', 'ignored', 'failed', 'inFlight'].map(sum), [15, 9, 2, 1, 3]);

    // Refused, changing nothing: no events:retry scope; bad reasons; no CSRF header; not dead; unknown.
    const path = `/api/events/${fixture.dead.id}/handled`;
    const operatorSession = await h.session(PEOPLE.operator);
    const operator = { headers: { ...operatorSession.headers, 'x-csrf-token': operatorSession.csrfToken } };
    const financeWithCsrf = { headers: { ...finance.headers, 'x-csrf-token': finance.csrfToken } };
    const refusals: Array<[Caller, unknown, number, string]> = [
      [financeWithCsrf, { reason: 'refunded by hand' }, 403, 'FORBIDDEN'],
      [operator, {}, 400, 'INVALID_REQUEST'],
      [operator, { reason: '  ' }, 400, 'INVALID_REQUEST'],
      [operator, { reason: 'x'.repeat(501) }, 400, 'INVALID_REQUEST'],
      [operator, { reason: 'refunded', extra: 1 }, 400, 'INVALID_REQUEST'],
      [operatorSession, { reason: 'refunded by hand' }, 403, 'CSRF_FAILED'],
    ];
    for (const [caller, body, status] of refusals) {
      const reply = await http(h.baseUrl, 'POST', path, caller, body);
      assert.equal(reply.status, status, JSON.stringify({ body, reply: reply.body }));
    }
    const notDead = await http(h.baseUrl, 'POST', `/api/events/${fixture.succeeded.id}/handled`, operator, { reason: 'nothing to do' });
    assert.equal(notDead.status, 409);
    assert.equal((await http(h.baseUrl, 'POST', '/api/events/999999/handled', operator, { reason: 'nothing to do' })).status, 404);
    assert.equal((await h.store.listAudit({ action: 'event.handled' })).items.length, 0);
    assert.equal(
      (await h.store.getEventLogs(fixture.dead.id)).some((l) => l.fields?.['action'] === 'handled'),
      false,
    );
    assert.deepEqual(
      (await home()).pinned.map((row) => row.id),
      [fixture.deadEarlier.id, fixture.dead.id],
    );

    const handled = await http(h.baseUrl, 'POST', path, operator, { reason: '  refunded by hand  ' });
    assert.equal(handled.status, 200, JSON.stringify(handled.body));
    assert.deepEqual(handled.body['handled'], { at: HOME_NOW.toISOString(), by: PEOPLE.operator, reason: 'refunded by hand' });
    const after = await home();
    assert.deepEqual(
      after.pinned.map((row) => row.id),
      [fixture.deadEarlier.id],
    );
    assert.equal(after.attention['deadUnhandled'], 1);
    // Handled by hand: no longer stuck, on its own line; received still adds up.
    assert.deepEqual(
      [after.today.money['stuck'], after.today.money['handled']],
      [
        { events: 1, amount: 10_000 },
        { events: 1, amount: 99_000 },
      ],
    );
    assert.deepEqual(
      [after.week.money['stuck'], after.week.money['handled']],
      [
        { events: 2, amount: 50_000 },
        { events: 1, amount: 99_000 },
      ],
    );
    assert.deepEqual(after.week.money['received'], before.week.money['received']);
    await figuresMatchTheirLists(h.baseUrl, finance, after);
    assert.equal(after.attention['dead'], 2, 'the event is still dead: it did fail');
    const audit = (await h.store.listAudit({ action: 'event.handled' })).items;
    assert.deepEqual(
      audit.map((a) => [a.actor, a.target, a.details]),
      [[PEOPLE.operator, `event:${fixture.dead.id}`, { reason: 'refunded by hand' }]],
    );
    const detail = await http(h.baseUrl, 'GET', `/api/events/${fixture.dead.id}`, finance);
    const logs = detail.body['logs'] as Array<{ message: string }>;
    assert.ok(
      logs.some((l) => l.message === `marked as handled by ${PEOPLE.operator}: refunded by hand`),
      JSON.stringify(logs),
    );

    await neverNotified(h.baseUrl, h.store, finance, before);
  } finally {
    await h.close();
  }
}

/**
 * Payments the provider has whose webhooks never arrived (found by reconciliation): the home
 * counts today's and this week's, and says which sources are reconciled at all (none: the card
 * is not shown, as no payment was checked); the events list selects exactly them by origin.
 */
async function neverNotified(baseUrl: string, store: Store, caller: Caller, before: HomeBody): Promise<void> {
  assert.deepEqual([before.today.recovered, before.week.recovered, before.reconciledSources], [0, 0, []]);
  const found = async (id: string, receivedAt: Date) =>
    (
      await store.insertEvent({
        source: 'stripe',
        providerEventId: id,
        entityKey: null,
        type: 'payment_intent.succeeded',
        transactionStatus: 'accepted',
        occurredAt: receivedAt,
        receivedAt,
        rawBody: Buffer.from('{}'),
        contentType: 'application/json',
        payload: {},
        summary: cop(1_000),
        origin: 'reconciliation',
      })
    ).event;
  const today = await found('evt_found_today', at(-3 * MINUTE));
  await found('evt_found_last_week', at(-6 * 24 * HOUR));
  await store.recordReconciliationStart('stripe', at(-2 * MINUTE), { since: at(-48 * HOUR), cursor: null });
  await store.recordReconciliationEnd({ source: 'stripe', now: at(-MINUTE), listed: 12, recovered: 2, error: null });
  const home = (await http(baseUrl, 'GET', '/api/home', caller)).body as unknown as HomeBody;
  assert.deepEqual([home.today.recovered, home.week.recovered, home.reconciledSources], [1, 1, ['stripe']]);
  assert.deepEqual(home.reconciling, [], 'no run in progress');
  // A run in progress (its claim leased past the clock's now, HOME_NOW): the card says so, since
  // when and on which machine, as the events line does (the same rule: server/api/reconciliation.ts liveRun).
  const owner = 'web-1|pid:[4026531836]|4242|6f1c';
  const startedAt = new Date(HOME_NOW.getTime() - MINUTE);
  assert.deepEqual(
    await store.claimReconciliationRun({ source: 'stripe', owner, now: startedAt, leaseUntil: new Date(HOME_NOW.getTime() + MINUTE) }),
    { claimed: true },
  );
  await store.recordReconciliationStart('stripe', startedAt, { since: at(-48 * HOUR), cursor: null }, owner);
  const running = (await http(baseUrl, 'GET', '/api/home', caller)).body as unknown as HomeBody;
  assert.deepEqual(running.reconciling, [{ source: 'stripe', runningSince: startedAt.toISOString(), runningOn: 'web-1' }]);
  await store.releaseReconciliationRun('stripe', owner);
  assert.deepEqual(((await http(baseUrl, 'GET', '/api/home', caller)).body as unknown as HomeBody).reconciling, [], 'released: none');
  const listed = await http(baseUrl, 'GET', `/api/events?origin=reconciliation&since=${encodeURIComponent(home.week.since)}`, caller);
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  assert.deepEqual(
    (listed.body['items'] as Array<{ id: number }>).map((row) => row.id),
    [today.id],
    "the card's link lists exactly the week's",
  );
  const refused = await http(baseUrl, 'GET', '/api/events?origin=email', caller);
  assert.equal(refused.status, 400, 'an unknown origin is refused, not ignored');
  assert.match(JSON.stringify(refused.body), /origin/);
}

/**
 * What each provider delivered and what was refused, per source, today and this week: a built-in
 * provider configured under another name (`stripe_eu`) has its own line; a repeat of a delivery
 * and a payment reconciliation created are not deliveries; /api/config says each source's kind.
 */
export async function deliveryCases(options: HarnessOptions): Promise<void> {
  const h = await startApi({
    ...options,
    sources: [
      { name: 'epayco', kind: 'epayco' },
      { name: 'stripe_eu', kind: 'stripe' },
      { name: 'mercadopago', kind: 'mercadopago' },
    ],
  });
  try {
    h.clock.now = HOME_NOW;
    await seedEvent(h.store, { source: 'epayco', receivedAt: at(-30 * MINUTE) });
    const repeated = await seedEvent(h.store, { source: 'epayco', receivedAt: at(-20 * MINUTE) });
    await seedEvent(h.store, { source: 'stripe_eu', receivedAt: at(-10 * MINUTE) });
    await seedEvent(h.store, { source: 'stripe_eu', receivedAt: at(-2 * 24 * HOUR) });
    await seedEvent(h.store, { source: 'epayco', receivedAt: at(-6 * 24 * HOUR) }); // last week
    // A source since removed from the config: its deliveries were stored, and still count.
    await seedEvent(h.store, { source: 'old_shop', receivedAt: at(-15 * MINUTE) });
    const again = await h.store.insertEvent({ ...repeated, receivedAt: at(-5 * MINUTE) });
    assert.equal(again.duplicate, true, 'the repeat is stored once');
    await h.store.insertEvent({ ...repeated, providerEventId: 'found-by-reconciliation', origin: 'reconciliation' });
    const refusal = { httpStatus: 401, reason: 'SIGNATURE_INVALID: bad signature', remoteAddress: '127.0.0.1', firstBytes: 'x' };
    await h.store.recordRejection({ ...refusal, source: 'stripe_eu', at: at(-MINUTE) });
    await h.store.recordRejection({ ...refusal, source: 'stripe_eu', at: at(-2 * MINUTE) });
    await h.store.recordRejection({ ...refusal, source: 'nope', at: at(-3 * MINUTE) });
    await h.store.recordRejection({ ...refusal, source: 'epayco', at: at(-2 * 24 * HOUR) });

    const finance = await h.session(PEOPLE.finance);
    const home = json<{
      today: { deliveries: unknown; rejectedBySource: unknown; rejected: number };
      week: { deliveries: unknown; rejectedBySource: unknown; rejected: number };
    }>(await h.request('GET', '/api/home', finance));
    assert.deepEqual(home.today.deliveries, [
      { source: 'epayco', events: 2, configured: true },
      { source: 'old_shop', events: 1, configured: false },
      { source: 'stripe_eu', events: 1, configured: true },
    ]);
    assert.deepEqual(home.week.deliveries, [
      { source: 'epayco', events: 2, configured: true },
      { source: 'stripe_eu', events: 2, configured: true },
      { source: 'old_shop', events: 1, configured: false },
    ]);
    assert.equal(home.today.rejected, 3);
    assert.deepEqual(home.today.rejectedBySource, [
      { source: 'stripe_eu', events: 2 },
      { source: 'nope', events: 1 },
    ]);
    assert.deepEqual(home.week.rejectedBySource, [
      { source: 'stripe_eu', events: 2 },
      { source: 'epayco', events: 1 },
      { source: 'nope', events: 1 },
    ]);
    // A busy day: more refusals than any page of the log (the home once counted its newest 500).
    for (let i = 0; i < 510; i++) await h.store.recordRejection({ ...refusal, source: 'nope', at: at(-10 * MINUTE - i) });
    const busy = json<{ today: { rejected: number; rejectedBySource: unknown }; week: { rejected: number } }>(
      await h.request('GET', '/api/home', finance),
    );
    assert.deepEqual([busy.today.rejected, busy.week.rejected], [513, 514]);
    assert.deepEqual(busy.today.rejectedBySource, [
      { source: 'nope', events: 511 },
      { source: 'stripe_eu', events: 2 },
    ]);
    const page = json<{ items: unknown[]; refused: unknown }>(await h.request('GET', '/api/rejections?limit=5', finance));
    assert.equal(page.items.length, 5);
    assert.deepEqual(page.refused, { today: 513, week: 514 }, "the refused view's counts: the whole log's, not the page's");
    const config = json<{ sources: string[]; sourceKinds: Record<string, string> }>(await h.request('GET', '/api/config', finance));
    assert.deepEqual(config.sources, ['epayco', 'stripe_eu', 'mercadopago']);
    assert.deepEqual(config.sourceKinds, { epayco: 'epayco', stripe_eu: 'stripe', mercadopago: 'mercadopago' });
  } finally {
    await h.close();
  }
}
