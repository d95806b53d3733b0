/**
 * Over HTTP (the API in-process): muting an alert asks for a reason and a sane duration, changes
 * nothing when refused, and is audited; the audit log and the flag history filter by who, what,
 * subject and when, as docs/api.md says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json, PEOPLE, startApi, withCsrf, type Harness } from './api-harness.js';

const MINUTE = 60_000;

describe('alert mute and the audit filters over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  test('mute: reason required, 1 minute to 30 days, refused changes nothing; muted until now + minutes, audited', async () => {
    const alert = await h.store.recordAlert({ at: h.clock.now, kind: 'oversold', subject: 'sku:MUG', message: 'MUG short' });
    const operator = withCsrf(await h.session(PEOPLE.operator));
    const url = `/api/alerts/${alert.id}/mute`;
    const refusals = [
      [{}, /reason is required/],
      [{ reason: '  ' }, /reason must not be empty/],
      [{ reason: 'x', minutes: 0 }, /minutes must be at least 1/],
      [{ reason: 'x', minutes: 50_000 }, /at most 43200/],
      [{ reason: 'x', minutes: 1.5 }, /whole number/],
    ] as const;
    for (const [body, message] of refusals) {
      const refused = await h.request('POST', url, operator, body);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.match(json<{ error: { message: string } }>(refused).error.message, message);
    }
    assert.equal((await h.store.listAlerts()).items[0]?.mutedAt, null, 'refused: nothing changed');
    assert.equal((await h.request('POST', url, withCsrf(await h.session(PEOPLE.viewer)), { reason: 'x' })).statusCode, 403);
    assert.equal((await h.request('POST', '/api/alerts/99999/mute', operator, { reason: 'x' })).statusCode, 404);

    const done = await h.request('POST', url, operator, { reason: 'restock Monday', minutes: 120 });
    assert.equal(done.statusCode, 200, done.body);
    const muted = json<{ alert: { mutedUntil: string; mutedBy: string; muteReason: string } }>(done).alert;
    assert.deepEqual(
      [muted.mutedUntil, muted.mutedBy, muted.muteReason],
      [new Date(h.clock.now.getTime() + 120 * MINUTE).toISOString(), PEOPLE.operator, 'restock Monday'],
    );
    const audit = json<{ items: { actor: string; action: string; target: string; details: { reason: string; minutes: number } }[] }>(
      await h.request('GET', `/api/audit?action=alert.mute&target=alert:${alert.id}`, await h.session(PEOPLE.admin)),
    );
    assert.deepEqual(
      audit.items.map((e) => [e.actor, e.target, e.details.reason, e.details.minutes]),
      [[PEOPLE.operator, `alert:${alert.id}`, 'restock Monday', 120]],
    );
    await h.store.resolveAlert(alert.id, h.clock.now);
    assert.equal((await h.request('POST', url, operator, { reason: 'again' })).statusCode, 409);
  });

  test('the audit log filters by who, what, subject and when; the flag history by flag, who and when', async () => {
    const t = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 12, minutes));
    await h.store.appendAudit({
      at: t(0),
      actor: 'ana@sentiretaller.com',
      action: 'flag.set',
      target: 'flag:DIAN',
      details: null,
      remoteAddress: null,
    });
    await h.store.appendAudit({
      at: t(10),
      actor: 'luis@sentiretaller.com',
      action: 'flag.set',
      target: 'flag:MEMBERSHIPS',
      details: null,
      remoteAddress: null,
    });
    const admin = await h.session(PEOPLE.admin);
    const targets = async (search: string) =>
      json<{ items: { target: string }[] }>(await h.request('GET', `/api/audit?${search}`, admin)).items.map((e) => e.target);
    assert.deepEqual(await targets('target=flag:'), ['flag:MEMBERSHIPS', 'flag:DIAN']);
    assert.deepEqual(await targets('actor=ana@sentiretaller.com'), ['flag:DIAN']);
    assert.deepEqual(await targets(`since=${t(5).toISOString()}&until=${t(20).toISOString()}`), ['flag:MEMBERSHIPS']);
    const backwards = await h.request('GET', `/api/audit?since=${t(20).toISOString()}&until=${t(5).toISOString()}`, admin);
    assert.equal(backwards.statusCode, 400);
    assert.match(backwards.body, /since .* must be before until/);
    assert.equal((await h.request('GET', '/api/audit?since=yesterday', admin)).statusCode, 400);

    const finance = withCsrf(await h.session(PEOPLE.finance));
    assert.equal(
      (await h.request('PUT', '/api/flags/WORLDOFFICE_DIAN_ENABLED', finance, { value: false, reason: 'DIAN caída' })).statusCode,
      200,
    );
    const history = async (search: string) =>
      json<{ items: { key: string; actor: string; reason: string }[] }>(
        await h.request('GET', `/api/flag-history?${search}`, admin),
      ).items.map((c) => `${c.key}/${c.actor}/${c.reason}`);
    assert.deepEqual(await history(`actor=${PEOPLE.finance}`), [`WORLDOFFICE_DIAN_ENABLED/${PEOPLE.finance}/DIAN caída`]);
    assert.deepEqual(await history('key=WORLDOFFICE_DIAN_ENABLED'), [`WORLDOFFICE_DIAN_ENABLED/${PEOPLE.finance}/DIAN caída`]);
    assert.deepEqual(await history(`actor=${PEOPLE.admin}`), []);
    assert.deepEqual(await history(`since=${new Date(h.clock.now.getTime() + MINUTE).toISOString()}`), []);
  });
});
