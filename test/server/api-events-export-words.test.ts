import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EVENT_STATUSES, TRANSACTION_STATUSES } from '../../src/core/types.js';
import { translator, type MessageKey } from '../../src/dashboard/app/i18n.js';
import { EXPORT_WORDS } from '../../src/server/api/events-export.js';

/**
 * The CSV export writes an event's status and transaction in words, in the dashboard's
 * language; the server may not import the dashboard's tables (layers), so it has its own copy.
 * A finance person who filters "Fallido" on the page and looks for it in the file must find
 * the same word: the copy is held equal to the page's words here, for every status.
 */
describe('the CSV export says what the dashboard says', () => {
  for (const language of ['es', 'en'] as const) {
    const t = translator(language);
    const words = EXPORT_WORDS[language];

    test(`${language}: every event status in the dashboard's word`, () => {
      for (const status of EVENT_STATUSES) assert.equal(words.status[status], t(`status_${status}`), status);
      assert.deepEqual(Object.keys(words.status).sort(), [...EVENT_STATUSES].sort(), 'no status the engine does not have');
    });

    test(`${language}: every transaction status in the dashboard's word`, () => {
      for (const status of TRANSACTION_STATUSES) assert.equal(words.transaction[status], t(status), status);
      assert.deepEqual(Object.keys(words.transaction).sort(), [...TRANSACTION_STATUSES].sort());
    });

    test(`${language}: the columns the dashboard also shows are headed with its words`, () => {
      const shared: MessageKey[] = ['id', 'pipeline', 'status', 'transaction', 'customer', 'email', 'phone', 'product', 'amount'];
      const header: readonly string[] = words.header;
      for (const key of shared) assert.ok(header.includes(t(key)), `${key}: "${t(key)}" in ${words.header.join(' | ')}`);
    });
  }
});
