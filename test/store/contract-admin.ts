import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreError } from '../../src/core/errors.js';
import { at, MINUTE, type ContractContext } from './contract-fixtures.js';

export function adminContract(ctx: ContractContext): void {
  describe('flags', () => {
    const definitions = [
      { key: 'whatsapp_enabled', description: 'Send WhatsApp messages', defaultValue: true },
      { key: 'dian_enabled', description: 'Emit to DIAN', defaultValue: false },
    ];

    it('ensureFlags creates missing flags with their default and leaves existing values alone', async () => {
      await ctx.store.ensureFlags(definitions, at(0));
      assert.deepEqual(await ctx.store.getFlag('whatsapp_enabled'), {
        key: 'whatsapp_enabled',
        value: true,
        description: 'Send WhatsApp messages',
        updatedAt: at(0),
        updatedBy: null,
      });
      await ctx.store.setFlag({ key: 'whatsapp_enabled', value: false, actor: 'ana@example.com', now: at(MINUTE) });
      await ctx.store.ensureFlags([...definitions, { key: 'crm_enabled', description: 'CRM', defaultValue: true }], at(2 * MINUTE));
      assert.equal((await ctx.store.getFlag('whatsapp_enabled'))?.value, false, 'the operator’s choice survives a restart');
      assert.deepEqual((await ctx.store.listFlags()).map((f) => [f.key, f.value]).sort(), [
        ['crm_enabled', true],
        ['dian_enabled', false],
        ['whatsapp_enabled', false],
      ]);
      assert.equal(await ctx.store.getFlag('nope'), null);
    });

    it('setFlag changes the flag and appends its history together', async () => {
      await ctx.store.ensureFlags(definitions, at(0));
      const { flag, change } = await ctx.store.setFlag({
        key: 'dian_enabled',
        value: true,
        actor: 'ana@example.com',
        reason: 'DIAN is back',
        now: at(MINUTE),
      });
      assert.deepEqual(flag, {
        key: 'dian_enabled',
        value: true,
        description: 'Emit to DIAN',
        updatedAt: at(MINUTE),
        updatedBy: 'ana@example.com',
      });
      assert.equal(change.key, 'dian_enabled');
      assert.equal(change.oldValue, false);
      assert.equal(change.newValue, true);
      assert.equal(change.actor, 'ana@example.com');
      assert.equal(change.reason, 'DIAN is back');
      assert.deepEqual(change.at, at(MINUTE));
      assert.deepEqual(await ctx.store.getFlag('dian_enabled'), flag);

      await ctx.store.setFlag({ key: 'whatsapp_enabled', value: false, actor: 'luis@example.com', now: at(2 * MINUTE) });
      await ctx.store.setFlag({ key: 'dian_enabled', value: false, actor: 'luis@example.com', now: at(3 * MINUTE) });
      const dian = await ctx.store.flagHistory('dian_enabled');
      assert.deepEqual(
        dian.items.map((c) => [c.oldValue, c.newValue, c.actor]),
        [
          [true, false, 'luis@example.com'],
          [false, true, 'ana@example.com'],
        ],
        'newest first',
      );
      assert.equal(dian.nextCursor, null);
      const page1 = await ctx.store.flagHistory(null, { limit: 2 });
      assert.equal(page1.items.length, 2);
      assert.ok(page1.nextCursor);
      const page2 = await ctx.store.flagHistory(null, { limit: 2, cursor: page1.nextCursor });
      assert.deepEqual(
        [...page1.items, ...page2.items].map((c) => c.key),
        ['dian_enabled', 'whatsapp_enabled', 'dian_enabled'],
      );
      assert.equal(page2.nextCursor, null);
    });

    it('refuses to set an unknown flag (FLAG_UNKNOWN) and records nothing', async () => {
      await assert.rejects(
        ctx.store.setFlag({ key: 'ghost', value: true, actor: 'ana@example.com', now: at(0) }),
        (err: unknown) => err instanceof StoreError && err.code === 'FLAG_UNKNOWN',
      );
      assert.deepEqual((await ctx.store.flagHistory(null)).items, []);
      assert.equal(await ctx.store.getFlag('ghost'), null);
    });
  });

  describe('audit log', () => {
    it('appends entries and lists them newest first, filtered and paged', async () => {
      const first = await ctx.store.appendAudit({
        actor: 'ana@example.com',
        action: 'flag.set',
        target: 'flag:dian_enabled',
        details: { from: false, to: true },
        remoteAddress: '127.0.0.1',
        at: at(0),
      });
      assert.ok(first.id > 0);
      assert.deepEqual(first, {
        id: first.id,
        at: at(0),
        actor: 'ana@example.com',
        action: 'flag.set',
        target: 'flag:dian_enabled',
        details: { from: false, to: true },
        remoteAddress: '127.0.0.1',
      });
      await ctx.store.appendAudit({ actor: 'luis@example.com', action: 'event.retry', target: 'event:7', at: at(1) });
      await ctx.store.appendAudit({ actor: 'ana@example.com', action: 'event.retry', target: 'event:8', at: at(2) });

      const all = await ctx.store.listAudit({});
      assert.deepEqual(
        all.items.map((e) => e.target),
        ['event:8', 'event:7', 'flag:dian_enabled'],
      );
      assert.equal(all.items[1]?.details, null);
      assert.equal(all.items[1]?.remoteAddress, null);
      assert.deepEqual(
        (await ctx.store.listAudit({ action: 'event.retry', actor: 'ana@example.com' })).items.map((e) => e.target),
        ['event:8'],
      );
      const page1 = await ctx.store.listAudit({ actor: 'ana@example.com' }, { limit: 1 });
      const page2 = await ctx.store.listAudit({ actor: 'ana@example.com' }, { limit: 1, cursor: page1.nextCursor });
      assert.deepEqual(
        [...page1.items, ...page2.items].map((e) => e.target),
        ['event:8', 'flag:dian_enabled'],
      );
      assert.equal(page2.nextCursor, null);
    });
  });

  describe('API tokens', () => {
    it('creates, finds by hash, touches, lists and revokes tokens', async () => {
      const hash = 'a'.repeat(64);
      const token = await ctx.store.createApiToken({
        name: 'ci',
        tokenHash: hash,
        scopes: ['events:read', 'events:retry'],
        createdBy: 'ana@example.com',
        now: at(0),
      });
      assert.deepEqual(token, {
        id: token.id,
        name: 'ci',
        tokenHash: hash,
        scopes: ['events:read', 'events:retry'],
        createdAt: at(0),
        createdBy: 'ana@example.com',
        revokedAt: null,
        lastUsedAt: null,
      });
      assert.deepEqual(await ctx.store.findApiTokenByHash(hash), token);
      assert.equal(await ctx.store.findApiTokenByHash('b'.repeat(64)), null);

      await ctx.store.touchApiToken(token.id, at(MINUTE));
      assert.deepEqual((await ctx.store.findApiTokenByHash(hash))?.lastUsedAt, at(MINUTE));

      const other = await ctx.store.createApiToken({ name: 'cli', tokenHash: 'c'.repeat(64), scopes: [], createdBy: 'x', now: at(1) });
      assert.equal(await ctx.store.revokeApiToken(token.id, at(2 * MINUTE)), true);
      assert.equal(await ctx.store.revokeApiToken(token.id, at(3 * MINUTE)), false, 'already revoked');
      assert.equal(await ctx.store.revokeApiToken(987_654, at(3 * MINUTE)), false);
      assert.equal(await ctx.store.findApiTokenByHash(hash), null, 'a revoked token no longer authenticates');
      const listed = await ctx.store.listApiTokens();
      assert.deepEqual(
        listed.map((t) => [t.id, t.revokedAt]),
        [
          [token.id, at(2 * MINUTE)],
          [other.id, null],
        ],
      );
    });
  });

  describe('sessions', () => {
    it('stores a session until it expires or is deleted', async () => {
      const session = {
        id: 'sess-1',
        email: 'ana@example.com',
        name: 'Ana',
        roles: ['operator', 'finance'],
        csrfToken: 'csrf-1',
        createdAt: at(0),
        expiresAt: at(60 * MINUTE),
      };
      await ctx.store.createSession(session);
      await ctx.store.createSession({ ...session, id: 'sess-2', name: null, roles: [] });
      assert.deepEqual(await ctx.store.getSession('sess-1', at(MINUTE)), session);
      assert.deepEqual(await ctx.store.getSession('sess-2', at(MINUTE)), { ...session, id: 'sess-2', name: null, roles: [] });
      assert.equal(await ctx.store.getSession('sess-1', at(60 * MINUTE)), null, 'expired sessions are not returned');
      await ctx.store.deleteSession('sess-2');
      assert.equal(await ctx.store.getSession('sess-2', at(MINUTE)), null);
      await ctx.store.deleteSession('never-existed');
      assert.equal(await ctx.store.getSession('never-existed', at(0)), null);
    });
  });

  describe('rejected deliveries', () => {
    it('keeps a bounded log, newest first, trimmed to `keep`', async () => {
      for (let i = 0; i < 7; i++) {
        await ctx.store.recordRejection(
          {
            at: at(i),
            source: 'stripe',
            httpStatus: 401,
            reason: `bad signature ${i}`,
            remoteAddress: i % 2 ? '127.0.0.1' : null,
            firstBytes: '{"id":',
          },
          5,
        );
      }
      const kept = await ctx.store.listRejections();
      assert.deepEqual(
        kept.map((r) => r.reason),
        ['bad signature 6', 'bad signature 5', 'bad signature 4', 'bad signature 3', 'bad signature 2'],
      );
      assert.deepEqual(
        { ...kept[0], id: 0 },
        { id: 0, at: at(6), source: 'stripe', httpStatus: 401, reason: 'bad signature 6', remoteAddress: null, firstBytes: '{"id":' },
      );
      assert.equal((await ctx.store.listRejections(2)).length, 2);
      // The next page: those older than the last one shown (the dashboard's "show older").
      assert.deepEqual(
        (await ctx.store.listRejections(2, kept[1]!.id)).map((r) => r.reason),
        ['bad signature 4', 'bad signature 3'],
      );
      assert.deepEqual(await ctx.store.listRejections(2, kept[4]!.id), []);
    });

    it('keeps the first 256 characters of a body, junk included (U+0000 is kept as U+FFFD)', async () => {
      const junk = `\u0000\u0001\ud800${'x'.repeat(300)}`;
      await ctx.store.recordRejection({
        at: at(1),
        source: 'stripe',
        httpStatus: 400,
        reason: 'bad \u0000',
        remoteAddress: null,
        firstBytes: junk,
      });
      const [logged] = await ctx.store.listRejections(1);
      assert.equal(logged?.firstBytes, `\uFFFD\u0001\uFFFD${'x'.repeat(253)}`);
      assert.equal(logged?.reason, 'bad \uFFFD');
    });

    it('counts the rejections of a window per address, every one the log holds, not a page of them', async () => {
      const reject = (t: number, source: string) =>
        ctx.store.recordRejection({ at: at(t), source, httpStatus: 401, reason: 'r', remoteAddress: null, firstBytes: '' });
      await reject(-1, 'stripe'); // before the window
      for (let i = 0; i < 520; i++) await reject(i, 'stripe');
      for (let i = 0; i < 3; i++) await reject(600 + i, 'nope');
      await reject(10_000, 'stripe'); // at `until`: after the window
      const counts = await ctx.store.countRejections({ since: at(0), until: at(10_000) });
      assert.deepEqual(counts, [
        { source: 'nope', count: 3 },
        { source: 'stripe', count: 520 },
      ]);
      assert.deepEqual(await ctx.store.countRejections({ since: at(20_000), until: at(30_000) }), []);
    });

    it('keeps 1000 rejections by default', async () => {
      for (let i = 0; i < 1_003; i++) {
        await ctx.store.recordRejection({ at: at(i), source: 's', httpStatus: 400, reason: `r${i}`, remoteAddress: null, firstBytes: '' });
      }
      const kept = await ctx.store.listRejections(5_000);
      assert.equal(kept.length, 1_000);
      assert.equal(kept.at(-1)?.reason, 'r3');
    });
  });

  describe('alerts', () => {
    it('records, lists (all or unresolved, paged) and resolves alerts', async () => {
      const dead = await ctx.store.recordAlert({
        at: at(0),
        kind: 'dead',
        eventId: 12,
        stage: 'dian',
        message: 'event 12 is dead',
        details: { attempts: 4 },
      });
      assert.deepEqual(dead, {
        id: dead.id,
        at: at(0),
        kind: 'dead',
        subject: 'event:12',
        occurrences: 1,
        lastSeenAt: at(0),
        eventId: 12,
        stage: 'dian',
        message: 'event 12 is dead',
        details: { attempts: 4 },
        resolvedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        ackReason: null,
        mutedAt: null,
        mutedUntil: null,
        mutedBy: null,
        muteReason: null,
      });
      const rate = await ctx.store.recordAlert({ at: at(1), kind: 'stage_error_rate', message: 'crm errors 40%' });
      assert.equal(rate.eventId, null);
      assert.equal(rate.details, null);
      const custom = await ctx.store.recordAlert({ at: at(2), kind: 'custom', message: 'hello' });

      assert.equal(await ctx.store.resolveAlert(rate.id, at(MINUTE)), true);
      assert.equal(await ctx.store.resolveAlert(rate.id, at(2 * MINUTE)), false, 'already resolved');
      assert.equal(await ctx.store.resolveAlert(987_654, at(MINUTE)), false);

      const all = await ctx.store.listAlerts();
      assert.deepEqual(
        all.items.map((a) => [a.id, a.resolvedAt]),
        [
          [custom.id, null],
          [rate.id, at(MINUTE)],
          [dead.id, null],
        ],
      );
      assert.deepEqual(
        (await ctx.store.listAlerts({ unresolvedOnly: true })).items.map((a) => a.id),
        [custom.id, dead.id],
      );
      const page1 = await ctx.store.listAlerts({ limit: 2 });
      const page2 = await ctx.store.listAlerts({ limit: 2, cursor: page1.nextCursor });
      assert.deepEqual(
        [...page1.items, ...page2.items].map((a) => a.id),
        [custom.id, rate.id, dead.id],
      );
      assert.equal(page2.nextCursor, null);
    });

    it('acknowledges an open alert once, with who, when and why; says why it cannot otherwise', async () => {
      const open = await ctx.store.recordAlert({ at: at(0), kind: 'dead', eventId: 5, message: 'event 5 is dead' });
      const gone = await ctx.store.recordAlert({ at: at(1), kind: 'dead', eventId: 6, message: 'event 6 is dead' });
      await ctx.store.resolveAlert(gone.id, at(MINUTE));
      const ack = { actor: 'ops@example.com', reason: 'NIT corregido', now: at(2 * MINUTE) };

      const done = await ctx.store.acknowledgeAlert({ id: open.id, ...ack });
      assert.equal(done.status, 'acknowledged');
      assert.deepEqual(
        done.status === 'acknowledged' && [
          done.alert.acknowledgedAt,
          done.alert.acknowledgedBy,
          done.alert.ackReason,
          done.alert.resolvedAt,
        ],
        [at(2 * MINUTE), 'ops@example.com', 'NIT corregido', null],
      );
      const twice = await ctx.store.acknowledgeAlert({ id: open.id, actor: 'other@example.com', reason: 'again', now: at(3 * MINUTE) });
      assert.equal(twice.status, 'already_acknowledged');
      assert.equal('alert' in twice ? twice.alert.acknowledgedBy : null, 'ops@example.com', 'the first acknowledgement stays');
      assert.equal((await ctx.store.acknowledgeAlert({ id: gone.id, ...ack })).status, 'resolved');
      assert.equal((await ctx.store.acknowledgeAlert({ id: 987_654, ...ack })).status, 'not_found');
      const listed = (await ctx.store.listAlerts()).items.find((a) => a.id === open.id);
      assert.equal(listed?.ackReason, 'NIT corregido');
      assert.equal((await ctx.store.listAlerts()).items.find((a) => a.id === gone.id)?.acknowledgedAt, null);
    });

    it("resolves an event's open alerts of the given kinds, and only those", async () => {
      const earlier = await ctx.store.recordAlert({ at: at(-1), kind: 'dead', eventId: 7, message: 'resolved before' });
      await ctx.store.resolveAlert(earlier.id, at(MINUTE));
      const dead = await ctx.store.recordAlert({ at: at(0), kind: 'dead', eventId: 7, message: 'event 7 is dead' });
      const retried = await ctx.store.recordAlert({ at: at(1), kind: 'retried', eventId: 7, message: 'event 7 retried' });
      const oversold = await ctx.store.recordAlert({ at: at(2), kind: 'oversold', eventId: 7, message: 'SKU short' });
      const other = await ctx.store.recordAlert({ at: at(3), kind: 'dead', eventId: 8, message: 'event 8 is dead' });

      assert.equal(await ctx.store.resolveAlertsForEvent(7, ['dead', 'retried'], at(2 * MINUTE)), 2);
      assert.equal(await ctx.store.resolveAlertsForEvent(7, ['dead', 'retried'], at(3 * MINUTE)), 0, 'already resolved');
      assert.equal(await ctx.store.resolveAlertsForEvent(7, [], at(3 * MINUTE)), 0);
      const resolvedAt = new Map((await ctx.store.listAlerts()).items.map((a) => [a.id, a.resolvedAt]));
      assert.deepEqual(
        [dead, retried, oversold, other, earlier].map((a) => resolvedAt.get(a.id)),
        [at(2 * MINUTE), at(2 * MINUTE), null, null, at(MINUTE)],
      );
    });
  });
}
