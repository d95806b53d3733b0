import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINUTE, type ContractContext } from './contract-fixtures.js';

/** The outbox behind alert forwarding (src/engine/alert-forwarder.ts). */
export function alertOutboxContract(ctx: ContractContext): void {
  describe('alert outbox', () => {
    const claim = (nowMs: number, limit = 10, recordedSinceMs = -60 * MINUTE) =>
      ctx.store.claimAlertsToForward({
        now: at(nowMs),
        recordedSince: at(recordedSinceMs),
        claimUntil: at(nowMs + MINUTE),
        limit,
      });

    it('claims unforwarded alerts oldest first, hides them while claimed, and never again once forwarded', async () => {
      const old = await ctx.store.recordAlert({ at: at(-2 * 60 * MINUTE), kind: 'dead', eventId: 1, message: 'too old to send' });
      const first = await ctx.store.recordAlert({ at: at(0), kind: 'dead', eventId: 2, stage: 'dian', message: 'event 2 is dead' });
      const second = await ctx.store.recordAlert({ at: at(1), kind: 'oversold', message: 'SKU-1 oversold', details: { sku: 'SKU-1' } });

      const claimed = await claim(0);
      assert.deepEqual(
        claimed.map((a) => [a.id, a.kind, a.eventId, a.stage, a.message, a.forwardAttempts]),
        [
          [first.id, 'dead', 2, 'dian', 'event 2 is dead', 1],
          [second.id, 'oversold', null, null, 'SKU-1 oversold', 1],
        ],
        `${old.id} was recorded before recordedSince`,
      );
      assert.deepEqual(claimed[1]?.details, { sku: 'SKU-1' });
      assert.deepEqual(await claim(MINUTE - 1), [], 'claimed alerts stay hidden until claimUntil');

      await ctx.store.markAlertForwarded(first.id, at(10));
      await ctx.store.markAlertForwardFailed(second.id, { nextAt: at(5 * MINUTE), error: 'HTTP 503' });
      assert.deepEqual(await claim(2 * MINUTE), [], 'a failed alert waits for its nextAt');
      const again = await claim(5 * MINUTE);
      assert.deepEqual(
        again.map((a) => [a.id, a.forwardAttempts]),
        [[second.id, 2]],
        'the forwarded one is gone for good; the failed one comes back with its attempt counted',
      );
      await ctx.store.markAlertForwarded(second.id, at(5 * MINUTE));
      await ctx.store.markAlertForwardFailed(second.id, { nextAt: at(0), error: 'late failure report' });
      assert.deepEqual(await claim(60 * MINUTE), [], 'a failure reported after success does not bring it back');
      assert.equal((await ctx.store.listAlerts()).items.length, 3, 'forwarding changes no alert record');
    });

    it('gives concurrent claimers disjoint alerts (each alert to one forwarder)', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 12; i++) ids.push((await ctx.store.recordAlert({ at: at(i), kind: 'custom', message: `alert ${i}` })).id);
      const rounds = await Promise.all(Array.from({ length: 6 }, () => claim(MINUTE, 3)));
      const seen = rounds.flat().map((a) => a.id);
      assert.equal(new Set(seen).size, seen.length, `an alert was claimed twice: ${seen.join(',')}`);
      const rest = await claim(MINUTE, 100);
      assert.deepEqual(
        [...seen, ...rest.map((a) => a.id)].sort((a, b) => a - b),
        ids,
        'every alert claimed exactly once',
      );
    });
  });
}
