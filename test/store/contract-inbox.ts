import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MigrationError } from '../../src/core/errors.js';
import type { NewEvent } from '../../src/store/store.js';
import { at, newEvent, type ContractContext } from './contract-fixtures.js';

export function inboxContract(ctx: ContractContext): void {
  describe('migrations', () => {
    it('the first migrate applies the schema and a second one changes nothing', async () => {
      assert.ok(ctx.firstMigration.applied.length >= 1, 'the first migrate applies at least one migration');
      assert.ok(ctx.firstMigration.current >= 1);
      const inserted = await ctx.store.insertEvent(newEvent());
      const again = await ctx.store.migrate();
      assert.deepEqual(again, { applied: [], current: ctx.firstMigration.current });
      assert.deepEqual(await ctx.store.getEvent(inserted.event.id), inserted.event);
    });

    it('schemaVersion reads the newest version applied, changing nothing', async () => {
      assert.equal(await ctx.store.schemaVersion(), ctx.firstMigration.current);
      await ctx.fixture.recordAppliedMigration(ctx.firstMigration.current + 5, 'from_the_future');
      assert.equal(await ctx.store.schemaVersion(), ctx.firstMigration.current + 5);
    });

    it('refuses a database whose schema is newer than this code (SCHEMA_TOO_NEW)', async () => {
      const future = ctx.firstMigration.current + 1;
      await ctx.fixture.recordAppliedMigration(future, 'from_the_future');
      await assert.rejects(ctx.store.migrate(), (err: unknown) => {
        assert.ok(err instanceof MigrationError);
        assert.equal(err.code, 'SCHEMA_TOO_NEW');
        assert.match(err.message, new RegExp(`version ${future}\\b.*up to ${ctx.firstMigration.current}\\b.*upgrade webpig`));
        return true;
      });
    });
  });

  describe('inbox', () => {
    it('stores every field of a delivery and reads it back exactly', async () => {
      const input = newEvent({
        entityKey: 'epayco:payment:77',
        occurredAt: at(-5_000),
        receivedAt: at(1),
        // Not valid UTF-8: the raw body must come back byte for byte (signatures depend on it).
        rawBody: Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x7d]),
        contentType: 'application/x-www-form-urlencoded',
        payload: { nested: { list: [1, 'dos', null, true] }, ñandú: 'sí' },
      });
      const { event, duplicate } = await ctx.store.insertEvent(input);
      assert.equal(duplicate, false);
      assert.ok(Number.isInteger(event.id) && event.id > 0);
      assert.equal(event.source, input.source);
      assert.equal(event.providerEventId, input.providerEventId);
      assert.equal(event.entityKey, 'epayco:payment:77');
      assert.equal(event.type, input.type);
      assert.equal(event.transactionStatus, 'accepted');
      assert.deepEqual(event.occurredAt, at(-5_000));
      assert.deepEqual(event.receivedAt, at(1));
      assert.ok(event.rawBody.equals(input.rawBody));
      assert.equal(event.contentType, 'application/x-www-form-urlencoded');
      assert.deepEqual(event.payload, input.payload);
      assert.deepEqual(event.summary, input.summary);
      assert.equal(event.status, 'queued');
      assert.equal(event.pipeline, null);
      assert.equal(event.attempts, 0);
      assert.equal(event.manualRetries, 0);
      assert.deepEqual(event.nextAttemptAt, at(1), 'a new event is runnable from the moment it was received');
      assert.equal(event.leaseOwner, null);
      assert.equal(event.leaseExpiresAt, null);
      assert.equal(event.lastError, null);
      assert.equal(event.ignoreReason, null);
      assert.deepEqual(await ctx.store.getEvent(event.id), event);
    });

    it('a repeated delivery returns the stored event, marked duplicate, and changes nothing', async () => {
      const first = await ctx.store.insertEvent(newEvent({ providerEventId: 'dup-1' }));
      const repeat = await ctx.store.insertEvent(
        newEvent({ providerEventId: 'dup-1', payload: { changed: true }, rawBody: Buffer.from('other'), receivedAt: at(9_000) }),
      );
      assert.equal(repeat.duplicate, true);
      assert.deepEqual(repeat.event, first.event);
      assert.equal(await ctx.store.countEvents({}), 1);
      assert.deepEqual(await ctx.store.getEvent(first.event.id), first.event);
    });

    it('the same delivery arriving many times at once is stored once', async () => {
      const copies = Array.from({ length: 12 }, () => newEvent({ providerEventId: 'storm-1' }));
      const results = await Promise.all(copies.map((copy) => ctx.store.insertEvent(copy)));
      assert.equal(results.filter((r) => !r.duplicate).length, 1, 'exactly one insert stored it');
      assert.equal(new Set(results.map((r) => r.event.id)).size, 1, 'every reply names the same event');
      assert.equal(await ctx.store.countEvents({}), 1);
    });

    it('the same provider id under another source is another event', async () => {
      const a = await ctx.store.insertEvent(newEvent({ source: 'epayco', providerEventId: 'same' }));
      const b = await ctx.store.insertEvent(newEvent({ source: 'stripe', providerEventId: 'same' }));
      assert.equal(b.duplicate, false);
      assert.notEqual(a.event.id, b.event.id);
      assert.equal((await ctx.store.findEventByProviderId('stripe', 'same'))?.id, b.event.id);
      assert.equal((await ctx.store.findEventByProviderId('epayco', 'same'))?.id, a.event.id);
      assert.equal(await ctx.store.findEventByProviderId('mercadopago', 'same'), null);
    });

    it('insertEvents stores a batch in input order; repeats inside the batch are duplicates after the first', async () => {
      const stored = await ctx.store.insertEvent(newEvent({ providerEventId: 'already' }));
      const batch = [
        newEvent({ providerEventId: 'b1' }),
        newEvent({ providerEventId: 'b2' }),
        newEvent({ providerEventId: 'b1', payload: { second: true } }),
        newEvent({ providerEventId: 'already' }),
        newEvent({ providerEventId: 'b3' }),
      ];
      const results = await ctx.store.insertEvents(batch);
      assert.deepEqual(
        results.map((r) => [r.event.providerEventId, r.duplicate]),
        [
          ['b1', false],
          ['b2', false],
          ['b1', true],
          ['already', true],
          ['b3', false],
        ],
      );
      assert.equal(results[2]?.event.id, results[0]?.event.id);
      assert.deepEqual(results[2]?.event.payload, batch[0]?.payload, 'the in-batch repeat changed nothing');
      assert.deepEqual(results[3]?.event, stored.event);
      assert.equal(await ctx.store.countEvents({}), 4);
      assert.deepEqual(await ctx.store.insertEvents([]), []);
    });

    it("storeDeliveries stores as insertEvents does and answers each delivery's id and duplicate flag, in input order", async () => {
      const stored = await ctx.store.insertEvent(newEvent({ providerEventId: 'sd-already' }));
      const batch = [
        newEvent({ providerEventId: 'sd-1' }),
        newEvent({ providerEventId: 'sd-2', payload: { two: true } }),
        newEvent({ providerEventId: 'sd-1', payload: { second: true } }),
        newEvent({ providerEventId: 'sd-already' }),
      ];
      const results = await ctx.store.storeDeliveries(batch);
      assert.deepEqual(
        results.map((r) => r.duplicate),
        [false, false, true, true],
      );
      assert.deepEqual(Object.keys(results[0] ?? {}).sort(), ['duplicate', 'id'], 'only what the reply needs');
      assert.equal(results[2]?.id, results[0]?.id, 'the in-batch repeat names the first');
      assert.equal(results[3]?.id, stored.event.id, 'a repeat of a stored delivery names it');
      const second = await ctx.store.getEvent(results[1]?.id ?? -1);
      assert.equal(second?.providerEventId, 'sd-2');
      assert.deepEqual(second?.payload, { two: true });
      assert.equal((await ctx.store.getEvent(results[0]?.id ?? -1))?.providerEventId, 'sd-1');
      assert.deepEqual((await ctx.store.getEvent(results[0]?.id ?? -1))?.payload, batch[0]?.payload, 'the repeat changed nothing');
      // A batch of one (the single-delivery path), new and repeated.
      const [lone] = await ctx.store.storeDeliveries([newEvent({ providerEventId: 'sd-lone' })]);
      assert.equal(lone?.duplicate, false);
      assert.equal((await ctx.store.findEventByProviderId('epayco', 'sd-lone'))?.id, lone?.id);
      assert.deepEqual(await ctx.store.storeDeliveries([newEvent({ providerEventId: 'sd-lone' })]), [{ id: lone?.id, duplicate: true }]);
      assert.equal(await ctx.store.countEvents({}), 4);
      assert.deepEqual(await ctx.store.storeDeliveries([]), []);
    });

    it('insertEvents is all or nothing: a batch holding a row the database refuses stores none of it', async () => {
      const refused = newEvent({ providerEventId: 'zz-refused-sorts-last', transactionStatus: 'paid' as NewEvent['transactionStatus'] }); // fails the CHECK
      await assert.rejects(
        ctx.store.insertEvents([newEvent({ providerEventId: 'whole-1' }), refused, newEvent({ providerEventId: 'whole-2' })]),
      );
      assert.equal(await ctx.store.findEventByProviderId('epayco', 'whole-1'), null);
      assert.equal(await ctx.store.findEventByProviderId('epayco', 'whole-2'), null);
      const retried = await ctx.store.insertEvents([newEvent({ providerEventId: 'whole-1' })]);
      assert.equal(retried[0]?.duplicate, false, 'a retry stores it as new');
    });

    it('stores strings PostgreSQL cannot hold (U+0000, unpaired surrogates) as U+FFFD, the raw body exactly', async () => {
      // One such delivery in a group commit must not fail the batch (every delivery in it 503).
      const rawBody = Buffer.from('{"name":"Ana\\u0000","bytes":"\x00\xff"}', 'latin1');
      const odd = newEvent({
        providerEventId: 'evt\u0000zero',
        entityKey: 'order\u0000:1',
        type: 'payment\ud800',
        rawBody,
        payload: { name: 'Ana\u0000', lone: '\ud800x', pair: '😀', text: 'a literal \\u0000 stays', list: ['\udfff'] },
        summary: {
          customer: { name: 'Ana\u0000 Pérez' },
          product: { name: 'Plan\u0000', id: 'P\ud800' },
          references: { invoice: 'FV\ud800-1' },
        },
      });
      const innocent = newEvent();
      const [stored, beside] = await ctx.store.insertEvents([odd, innocent]);
      assert.equal(stored?.duplicate, false);
      assert.equal(beside?.duplicate, false, 'the delivery committed beside it is stored too');
      const event = await ctx.store.getEvent(stored?.event.id ?? 0);
      assert.ok(event?.rawBody.equals(rawBody), 'the raw body keeps its exact bytes');
      assert.equal(event?.providerEventId, 'evt\uFFFDzero');
      assert.equal(event?.entityKey, 'order\uFFFD:1');
      assert.equal(event?.type, 'payment\uFFFD');
      assert.deepEqual(event?.payload, {
        name: 'Ana\uFFFD',
        lone: '\uFFFDx',
        pair: '😀',
        text: 'a literal \\u0000 stays',
        list: ['\uFFFD'],
      });
      assert.deepEqual(event?.summary, {
        customer: { name: 'Ana\uFFFD Pérez' },
        product: { name: 'Plan\uFFFD', id: 'P\uFFFD' },
        references: { invoice: 'FV\uFFFD-1' },
      });
      const again = await ctx.store.insertEvent(odd);
      assert.deepEqual([again.duplicate, again.event.id], [true, event?.id], 'the same delivery again is a duplicate');
      assert.equal((await ctx.store.findEventByProviderId(odd.source, odd.providerEventId))?.id, event?.id);
      assert.deepEqual(
        (await ctx.store.listEvents({ text: 'ana\u0000 pé' })).items.map((e) => e.id),
        [event?.id],
      );
    });

    it('unknown ids read as null', async () => {
      assert.equal(await ctx.store.getEvent(987_654), null);
      assert.equal(await ctx.store.findEventByProviderId('epayco', 'nope'), null);
      assert.deepEqual(await ctx.store.getCheckpoints(987_654), []);
      assert.deepEqual(await ctx.store.getEventLogs(987_654), []);
    });
  });
}
