import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINUTE, type ContractContext } from './contract-fixtures.js';

/** One-time sign-in links: stored by hash, used once, never after they expire. */
export function loginLinkContract(ctx: ContractContext): void {
  describe('login links', () => {
    const link = {
      tokenHash: 'a'.repeat(64),
      email: 'ana@example.com',
      createdBy: 'cli:root',
      createdAt: at(0),
      expiresAt: at(15 * MINUTE),
    };

    it('creates a link and finds it by its hash', async () => {
      const created = await ctx.store.createLoginLink(link);
      assert.ok(Number.isSafeInteger(created.id) && created.id > 0);
      assert.deepEqual(created, { ...link, id: created.id, usedAt: null });
      assert.deepEqual(await ctx.store.findLoginLink(link.tokenHash), created);
      assert.equal(await ctx.store.findLoginLink('b'.repeat(64)), null);
    });

    it('a link is used once: the second use gets nothing', async () => {
      const created = await ctx.store.createLoginLink(link);
      const used = await ctx.store.useLoginLink(link.tokenHash, at(MINUTE));
      assert.deepEqual(used, { ...created, usedAt: at(MINUTE) });
      assert.equal(await ctx.store.useLoginLink(link.tokenHash, at(2 * MINUTE)), null);
      assert.deepEqual((await ctx.store.findLoginLink(link.tokenHash))?.usedAt, at(MINUTE), 'the first use is kept');
    });

    it('concurrent uses of one link: exactly one succeeds', async () => {
      await ctx.store.createLoginLink(link);
      const results = await Promise.all(Array.from({ length: 8 }, () => ctx.store.useLoginLink(link.tokenHash, at(MINUTE))));
      assert.equal(results.filter((r) => r !== null).length, 1);
    });

    it('an expired link cannot be used, and stays unused', async () => {
      await ctx.store.createLoginLink(link);
      assert.equal(await ctx.store.useLoginLink(link.tokenHash, at(15 * MINUTE)), null, 'expiry is exclusive');
      assert.equal((await ctx.store.findLoginLink(link.tokenHash))?.usedAt, null);
      assert.equal(await ctx.store.useLoginLink('c'.repeat(64), at(MINUTE)), null, 'unknown hash');
    });

    it('the same token hash cannot be stored twice', async () => {
      await ctx.store.createLoginLink(link);
      await assert.rejects(ctx.store.createLoginLink({ ...link, email: 'other@example.com' }));
    });
  });
}
