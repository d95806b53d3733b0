import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINUTE, type ContractContext } from './contract-fixtures.js';

/** Alerts as issues: grouping, count, first/last seen, resolve, mute, both forwarded transitions. */
export function alertIssuesContract(ctx: ContractContext): void {
  describe('alert issues', () => {
    const oversold = (offset: number, sku: string, order: string) =>
      ctx.store.recordAlert({
        at: at(offset),
        kind: 'oversold',
        subject: `sku:${sku}`,
        stage: 'stock',
        message: `${sku} short (order ${order})`,
        details: { order },
      });

    it('groups repeats of an open issue by kind and subject: one row, a count, first and last seen', async () => {
      const first = await oversold(0, 'SKU-1', 'A');
      const second = await oversold(5 * MINUTE, 'SKU-1', 'B');
      const third = await oversold(2 * MINUTE, 'SKU-1', 'C');
      const otherSku = await oversold(MINUTE, 'SKU-2', 'D');
      assert.equal(second.id, first.id, 'a repeat is the same issue');
      assert.equal(third.id, first.id);
      assert.notEqual(otherSku.id, first.id, 'another subject is another issue');
      assert.deepEqual(
        [third.occurrences, third.at, third.lastSeenAt, third.message, third.details],
        [3, at(0), at(5 * MINUTE), 'SKU-1 short (order C)', { order: 'C' }],
        'first seen stays, last seen is the latest, the text is the newest',
      );
      const sameKindOtherWay = await ctx.store.recordAlert({ at: at(6 * MINUTE), kind: 'dead', subject: 'sku:SKU-1', message: 'x' });
      assert.notEqual(sameKindOtherWay.id, first.id, 'another kind with the same subject is another issue');
      const open = (await ctx.store.listAlerts({ unresolvedOnly: true })).items;
      assert.equal(open.filter((a) => a.kind === 'oversold').length, 2);
    });

    it('refreshes without counting when asked, and defaults the subject to the event, the stage, or the text', async () => {
      const rate = await ctx.store.recordAlert({ at: at(0), kind: 'stage_error_rate', stage: 'dian', message: '40%' });
      const again = await ctx.store.recordAlert({
        at: at(MINUTE),
        kind: 'stage_error_rate',
        stage: 'dian',
        message: '60%',
        repeat: 'refresh',
      });
      assert.deepEqual(
        [again.id, again.subject, again.occurrences, again.lastSeenAt, again.message],
        [rate.id, 'stage:dian', 1, at(MINUTE), '60%'],
      );
      assert.equal((await ctx.store.recordAlert({ at: at(0), kind: 'dead', eventId: 9, stage: 'dian', message: 'm' })).subject, 'event:9');
      assert.equal((await ctx.store.recordAlert({ at: at(0), kind: 'custom', message: 'hello' })).subject, 'text:hello');
    });

    it('a resolved issue stays resolved: the next occurrence opens a new one', async () => {
      const first = await oversold(0, 'SKU-1', 'A');
      await oversold(MINUTE, 'SKU-1', 'B');
      assert.equal(await ctx.store.resolveAlert(first.id, at(2 * MINUTE)), true);
      const next = await oversold(3 * MINUTE, 'SKU-1', 'C');
      assert.notEqual(next.id, first.id);
      assert.deepEqual([next.occurrences, next.at], [1, at(3 * MINUTE)]);
      const old = (await ctx.store.listAlerts()).items.find((a) => a.id === first.id);
      assert.deepEqual([old?.occurrences, old?.resolvedAt], [2, at(2 * MINUTE)]);
      assert.deepEqual(
        (await ctx.store.listOpenAlerts(['oversold'])).map((a) => a.id),
        [next.id],
      );
      assert.deepEqual(await ctx.store.listOpenAlerts(['dead']), []);
    });

    it('resolves the open issue of a kind and subject by name, and only that one', async () => {
      const failed = await ctx.store.recordAlert({ at: at(0), kind: 'custom', subject: 'reconcile-failed:stripe', message: 'stopped' });
      const other = await ctx.store.recordAlert({ at: at(0), kind: 'custom', subject: 'reconcile-failed:shop_mp', message: 'stopped' });
      const otherKind = await ctx.store.recordAlert({ at: at(0), kind: 'backlog', subject: 'reconcile-failed:stripe', message: 'x' });
      assert.equal(await ctx.store.resolveAlertBySubject('custom', 'reconcile-failed:stripe', at(MINUTE)), true);
      assert.equal(await ctx.store.resolveAlertBySubject('custom', 'reconcile-failed:stripe', at(2 * MINUTE)), false, 'none open now');
      const open = (await ctx.store.listAlerts({ unresolvedOnly: true })).items.map((a) => a.id);
      assert.ok(!open.includes(failed.id));
      assert.ok(open.includes(other.id) && open.includes(otherKind.id), 'another subject, or another kind, stays open');
      const resolved = (await ctx.store.listAlerts()).items.find((a) => a.id === failed.id);
      assert.deepEqual(resolved?.resolvedAt, at(MINUTE));
      // A subject stored cut (longer than 200) is found by the same words.
      const long = `reconcile-failed:${'x'.repeat(300)}`;
      await ctx.store.recordAlert({ at: at(0), kind: 'custom', subject: long, message: 'stopped' });
      assert.equal(await ctx.store.resolveAlertBySubject('custom', long, at(MINUTE)), true);
    });

    it('mutes an open issue with who, when, why and until; a resolved one cannot be muted', async () => {
      const open = await oversold(0, 'SKU-1', 'A');
      const mute = { id: open.id, actor: 'ops@example.com', reason: 'restock on Monday', until: at(60 * MINUTE), now: at(MINUTE) };
      const done = await ctx.store.muteAlert(mute);
      assert.equal(done.status, 'muted');
      assert.deepEqual(done.status === 'muted' && [done.alert.mutedAt, done.alert.mutedUntil, done.alert.mutedBy, done.alert.muteReason], [
        at(MINUTE),
        at(60 * MINUTE),
        'ops@example.com',
        'restock on Monday',
      ]);
      await ctx.store.resolveAlert(open.id, at(2 * MINUTE));
      assert.equal((await ctx.store.muteAlert(mute)).status, 'resolved');
      assert.equal((await ctx.store.muteAlert({ ...mute, id: 987_654 })).status, 'not_found');
    });

    const claim = (nowMs: number) =>
      ctx.store.claimAlertsToForward({ now: at(nowMs), recordedSince: at(nowMs - 60 * MINUTE), claimUntil: at(nowMs + MINUTE), limit: 10 });

    it('forwards the opening and the resolution once each, and nothing while muted', async () => {
      const alert = await oversold(0, 'SKU-1', 'A');
      const opened = await claim(0);
      assert.deepEqual(
        opened.map((a) => [a.id, a.transition, a.forwardAttempts]),
        [[alert.id, 'opened', 1]],
      );
      await ctx.store.markAlertForwarded(alert.id, at(1), 'opened');
      await oversold(MINUTE, 'SKU-1', 'B');
      assert.deepEqual(await claim(2 * MINUTE), [], 'a repeat is not a transition');
      await ctx.store.resolveAlert(alert.id, at(3 * MINUTE));
      const resolved = await claim(3 * MINUTE);
      assert.deepEqual(
        resolved.map((a) => [a.id, a.transition, a.forwardAttempts]),
        [[alert.id, 'resolved', 1]],
        'the resolution counts its own tries',
      );
      await ctx.store.markAlertForwarded(alert.id, at(3 * MINUTE), 'resolved');
      await ctx.store.markAlertForwarded(alert.id, at(4 * MINUTE), 'opened');
      assert.deepEqual(await claim(10 * MINUTE), [], 'each transition once');

      const muted = await oversold(10 * MINUTE, 'SKU-9', 'M');
      await ctx.store.muteAlert({ id: muted.id, actor: 'ops@example.com', reason: 'known', until: at(30 * MINUTE), now: at(10 * MINUTE) });
      assert.deepEqual(await claim(11 * MINUTE), [], 'muted: not forwarded');
      assert.deepEqual(
        (await claim(31 * MINUTE)).map((a) => [a.id, a.transition]),
        [[muted.id, 'opened']],
        'the mute is over: it goes out',
      );

      const quiet = await oversold(40 * MINUTE, 'SKU-8', 'Q');
      await ctx.store.muteAlert({ id: quiet.id, actor: 'ops@example.com', reason: 'known', until: at(90 * MINUTE), now: at(40 * MINUTE) });
      await ctx.store.resolveAlert(quiet.id, at(50 * MINUTE));
      assert.deepEqual(await claim(95 * MINUTE), [], 'opened and resolved while muted: neither is sent');
    });

    it('filters the audit log by who, what, subject and when, and the flag history by who and when', async () => {
      const entry = (offset: number, actor: string, action: string, target: string) =>
        ctx.store.appendAudit({ at: at(offset), actor, action, target, details: null, remoteAddress: null });
      await entry(0, 'ana@example.com', 'alert.ack', 'alert:1');
      await entry(MINUTE, 'ana@example.com', 'alert.mute', 'alert:12');
      await entry(2 * MINUTE, 'luis@example.com', 'alert.mute', 'alert:1');
      const ids = async (filter: Parameters<typeof ctx.store.listAudit>[0]) =>
        (await ctx.store.listAudit(filter)).items.map((e) => `${e.actor}/${e.action}/${e.target}`);
      assert.deepEqual(await ids({ actor: 'ana@example.com', action: 'alert.mute' }), ['ana@example.com/alert.mute/alert:12']);
      assert.deepEqual(
        await ids({ target: 'alert:1' }),
        ['luis@example.com/alert.mute/alert:1', 'ana@example.com/alert.ack/alert:1'],
        'alert:1 is not alert:12',
      );
      assert.equal((await ids({ target: 'alert:' })).length, 3, 'a subject ending in a colon lists everything under it');
      assert.deepEqual(await ids({ since: at(MINUTE), until: at(2 * MINUTE) }), ['ana@example.com/alert.mute/alert:12']);

      await ctx.store.ensureFlags([{ key: 'DIAN', description: 'DIAN', defaultValue: true }], at(-MINUTE));
      await ctx.store.setFlag({ key: 'DIAN', value: false, actor: 'ana@example.com', reason: 'caída', now: at(0) });
      await ctx.store.setFlag({ key: 'DIAN', value: true, actor: 'luis@example.com', reason: 'volvió', now: at(MINUTE) });
      const changes = async (filter: Parameters<typeof ctx.store.flagHistory>[1]) =>
        (await ctx.store.flagHistory('DIAN', filter)).items.map((c) => `${c.actor}:${c.newValue}`);
      assert.deepEqual(await changes({ actor: 'ana@example.com' }), ['ana@example.com:false']);
      assert.deepEqual(await changes({ since: at(MINUTE) }), ['luis@example.com:true']);
      assert.deepEqual(await changes({ until: at(MINUTE) }), ['ana@example.com:false']);
    });
  });
}
