import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventSummary } from '../../src/core/types.js';
import { searchTerm, searchText } from '../../src/store/search-text.js';
import { insertAll, newEvent, type ContractContext } from './contract-fixtures.js';

/**
 * The text search (q=) gives what the plain substring test of the folded search text gives
 * (search-text.ts), however the store finds the rows (a trigram index for terms of three
 * characters or more, migration 0011; a scan for shorter ones): accents and case, one- and
 * two-character terms, LIKE's `%`, `_` and `\`, quotes, and FTS5 query syntax, which must stay
 * plain text. Then what a finance person types, as the dashboard shows it or as the customer
 * says it on the phone, with the events it must find and must not.
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

/** Customers as sources send them: accents or not, phones and documents in any grouping. */
const CUSTOMERS: Record<'maria' | 'mariaPlain' | 'jose', [string, EventSummary]> = {
  maria: [
    'evt-maria',
    { customer: { name: 'María Gómez', phone: '+57 300 123 4567', documentId: '1.020.304.050', email: 'maria@correo.co' } },
  ],
  mariaPlain: ['evt-plain', { customer: { name: 'MARIA GOMEZ', phone: '3001112233', documentId: '52123456' } }],
  // 300 and 123 in two fields: "300 123" is not in one of them.
  jose: ['evt-jose', { customer: { name: 'José Muñoz', documentId: 'CC 79.888.777' }, references: { order: 'ORD-300', invoice: '123' } }],
};

/** What is typed into the search box, and the customers it must find (none: it must find nothing). */
const TYPED: Array<[string, Array<keyof typeof CUSTOMERS>]> = [
  // accents both ways, and case
  ['Maria Gomez', ['maria', 'mariaPlain']],
  ['MARÍA GÓMEZ', ['maria', 'mariaPlain']],
  ['maría  gómez', ['maria', 'mariaPlain']],
  ['gómez', ['maria', 'mariaPlain']],
  ['munoz', ['jose']],
  ['MUÑOZ', ['jose']],
  ['jose munoz', ['jose']],
  // a phone stored in E.164's shape, typed as shown or as said
  ['+57 300 123 4567', ['maria']],
  ['300 123 4567', ['maria']],
  ['3001234567', ['maria']],
  ['300-123-4567', ['maria']],
  ['(300) 123 4567', ['maria']],
  ['0057 300 123 4567', ['maria']],
  ['57 300 123', ['maria']],
  ['57 300', ['maria', 'mariaPlain']],
  ['300 123', ['maria']],
  // a phone stored without its country code, typed with it
  ['+57 300 111 2233', ['mariaPlain']],
  ['57 3001112233', ['mariaPlain']],
  ['300 111 22', ['mariaPlain']],
  // documents, with or without their dots and the dashboard's "CC"
  ['CC 1.020.304.050', ['maria']],
  ['cc 1020304050', ['maria']],
  ['C.C. 1020304050', ['maria']],
  ['1.020.304', ['maria']],
  ['ID 52.123.456', ['mariaPlain']],
  ['CC 79.888.777', ['jose']],
  ['79888777', ['jose']],
  // near misses
  ['300 124', []],
  ['+57 300 123 4568', []],
  ['CC 1.020.304.051', []],
  ['Maria Gomes', []],
  ['300 123 ORD', []],
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
          const needle = searchTerm(term);
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

    it('finds a customer typed without accents, and phones and documents typed in any grouping', async () => {
      const names = Object.keys(CUSTOMERS) as Array<keyof typeof CUSTOMERS>;
      const ids = await insertAll(
        ctx.store,
        names.map((name) => newEvent({ providerEventId: CUSTOMERS[name][0], summary: CUSTOMERS[name][1] })),
      );
      const idOf = new Map(names.map((name, i) => [name, ids[i]]));
      const searchEveryTyped = async (when: string) => {
        for (const [typed, customers] of TYPED) {
          const expected = customers.map((name) => idOf.get(name)).sort((a, b) => a! - b!);
          const listed = (await ctx.store.listEvents({ text: typed })).items.map((e) => e.id).sort((a, b) => a - b);
          assert.deepEqual(listed, expected, `q=${JSON.stringify(typed)} ${when}`);
          assert.equal(await ctx.store.countEvents({ text: typed }), expected.length, `count for q=${JSON.stringify(typed)} ${when}`);
        }
      };
      await searchEveryTyped('at once after the commit');
      await ctx.fixture.indexSearch?.();
      await searchEveryTyped('once indexed');
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
