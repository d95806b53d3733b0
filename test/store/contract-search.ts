import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventSummary } from '../../src/core/types.js';
import { normalizeSearch, searchText } from '../../src/store/search-text.js';
import { insertAll, newEvent, type ContractContext } from './contract-fixtures.js';

/**
 * The text search (q=) gives what the plain substring test of the lower-cased search text
 * gives, however the store finds the rows (a trigram index for terms of three characters or
 * more, migration 0011; a scan for shorter ones): accents and case, one- and two-character
 * terms, LIKE's `%`, `_` and `\`, quotes, and FTS5 query syntax, which must stay plain text.
 */
const PEOPLE: Array<[string, EventSummary]> = [
  [
    'ref_payco_ABC123',
    { customer: { name: 'Ana María Pérez', email: 'Ana@Example.com', documentId: '1020304050' }, references: { invoice: 'FV-9001' } },
  ],
  ['mp-555', { customer: { name: 'Luis Gómez', email: 'luis@correo.co', documentId: '7788' }, references: { order: 'ORD-42' } }],
  ['evt_100%', { customer: { name: 'Peréz OR Perez', email: 'o"brien@example.com' }, references: { note: 'a*b "quoted" NEAR(x y)' } }],
  [
    'evt_under_score',
    { customer: { name: 'ÁNGEL ÑOÑO', email: 'angel@example.org' }, references: { path: 'c:\\dir\\file', tag: '50%_off' } },
  ],
  ['evt-ｆｕｌｌ', { customer: { name: "O'Brien Zoë", documentId: 'Δοκιμή ΣΟΦΊΑ' }, references: { emoji: 'pago 🐷 ok' } }],
];

const TERMS = [
  // accents and case
  'pérez',
  'PÉREZ',
  'perez',
  'peréz',
  'María',
  'maria',
  'ángel',
  'ÑOÑO',
  'ñ',
  'zoë',
  'ΣΟΦΊΑ',
  'σοφία',
  'δοκ',
  // one and two characters
  'a',
  'A',
  'é',
  'o',
  'ñ',
  '%',
  '_',
  '\\',
  '*',
  '"',
  "'",
  '🐷',
  'mp',
  '@e',
  '42',
  'zz',
  // LIKE's wildcards and escape, in longer terms
  '100%',
  '0%_',
  '%_o',
  '50%_off',
  '_ab',
  'under_s',
  'c:\\dir',
  '\\di',
  '%%%',
  '___',
  // quotes and FTS5 syntax
  'o"brien',
  '"quoted"',
  '"quoted',
  "o'brien",
  "'br",
  'a*b',
  'a*',
  'ana*',
  'OR',
  'or perez',
  'pérez OR luis',
  'NEAR(x',
  'near(x y)',
  'x y)',
  '(x',
  'ana AND luis',
  'NOT',
  '-555',
  '^ana',
  'ana:',
  '{luis}',
  'fv-90',
  'ORD-42',
  // longer, absent, every row
  'example.com',
  'example',
  '.co',
  'nadie',
  'ana maría pérez',
  'pago 🐷 ok',
  'ｆｕｌｌ',
  'full',
];

export function searchContract(ctx: ContractContext): void {
  describe('text search', () => {
    it('finds, for every term, exactly the events whose search text contains it', async () => {
      const ids = await insertAll(
        ctx.store,
        PEOPLE.map(([providerEventId, summary]) => newEvent({ providerEventId, summary })),
      );
      const texts = PEOPLE.map(([providerEventId, summary]) => searchText(providerEventId, summary));
      const searchEveryTerm = async (when: string) => {
        for (const term of TERMS) {
          const needle = normalizeSearch(term.trim());
          const expected = ids.filter((_, i) => texts[i]?.includes(needle)).sort((a, b) => a - b);
          const listed = (await ctx.store.listEvents({ text: term })).items.map((e) => e.id).sort((a, b) => a - b);
          assert.deepEqual(listed, expected, `q=${JSON.stringify(term)} ${when}`);
          assert.equal(await ctx.store.countEvents({ text: term }), expected.length, `count for q=${JSON.stringify(term)} ${when}`);
        }
      };
      // Searched as soon as committed (SQLite: the indexer has not run yet), then once indexed.
      await searchEveryTerm('at once after the commit');
      await ctx.fixture.indexSearch?.();
      await searchEveryTerm('once indexed');
    });

    it('finds a delivery searched as soon as its insert resolves, beside indexed ones', async () => {
      const [older] = await insertAll(ctx.store, [newEvent({ summary: { customer: { name: 'Zoe Rareza' } } })]);
      await ctx.fixture.indexSearch?.();
      const { event } = await ctx.store.insertEvent(newEvent({ summary: { customer: { name: 'Otra Rareza' } } }));
      const listed = (await ctx.store.listEvents({ text: 'rareza' })).items.map((e) => e.id);
      assert.deepEqual(listed, [event.id, older]);
      assert.deepEqual(
        (await ctx.store.listEvents({ text: 'otra rareza' })).items.map((e) => e.id),
        [event.id],
      );
      assert.equal(await ctx.store.countEvents({ text: 'rareza' }), 2);
    });

    it('pages through a search newest first, and combines it with the other filters', async () => {
      const events = Array.from({ length: 7 }, (_, i) =>
        newEvent({
          source: i % 2 === 0 ? 'stripe' : 'epayco',
          summary: { customer: { name: i === 3 ? 'Otro Cliente' : `Zoe Rareza ${i}` } },
        }),
      );
      // The first four indexed, the last three not yet (SQLite): pages cross from one to the other.
      const ids = await insertAll(ctx.store, events.slice(0, 4));
      await ctx.fixture.indexSearch?.();
      ids.push(...(await insertAll(ctx.store, events.slice(4))));
      const rare = ids.filter((_, i) => i !== 3).reverse();
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof ctx.store.listEvents>> = await ctx.store.listEvents({ text: 'RAREZA' }, { limit: 2, cursor });
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(seen, rare);
      const stripe = (await ctx.store.listEvents({ text: 'rareza', source: 'stripe' })).items.map((e) => e.id);
      assert.deepEqual(stripe, ids.filter((_, i) => i % 2 === 0 && i !== 3).reverse());
      assert.deepEqual((await ctx.store.listEvents({ text: 'rareza', status: 'dead' })).items, []);
    });
  });
}
