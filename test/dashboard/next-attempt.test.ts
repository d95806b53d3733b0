import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { makeFormats } from '../../src/dashboard/app/format.js';
import { translator } from '../../src/dashboard/app/i18n.js';
import { nextAttemptText, nextRetryText } from '../../src/dashboard/app/next-attempt.js';
import { homeWords } from '../../src/dashboard/app/home-i18n.js';
import type { DashboardConfig, EventRow } from '../../src/dashboard/app/types.js';

/** "Reintentando" says when the worker tries again, and which attempt of how many that is. */

const config = {
  pipelines: [{ name: 'facturador', label: null, columns: [], stages: [{ name: 'crm_upsert', maxAttempts: 4 }] }],
} as unknown as DashboardConfig;
const es = { t: translator('es'), formats: makeFormats('es-CO', 'America/Bogota', 'COP') };
const en = { t: translator('en'), formats: makeFormats('en-US', 'America/Bogota', 'COP', 'en') };

function event(patch: Partial<EventRow>): EventRow {
  return {
    status: 'retrying',
    pipeline: 'facturador',
    attempts: 2,
    // 15:15 in Bogotá (UTC−5).
    nextAttemptAt: '2026-12-06T20:15:00.000Z',
    failure: { stage: 'crm_upsert', error: { message: 'CRM down', retriable: true } },
    checkpoints: [{ stage: 'crm_upsert', attempts: 2 }],
    ...patch,
  } as unknown as EventRow;
}

describe('the next automatic attempt', () => {
  test("a retrying event: when, and the failed stage's attempt N of its policy's M", () => {
    const when = (formats: typeof es.formats) => formats.shortDateTime('2026-12-06T20:15:00.000Z');
    assert.match(when(es.formats), /3:15/, 'in Bogotá time');
    assert.equal(nextAttemptText(es.t, es.formats, config, event({})), `próximo intento ${when(es.formats)} (intento 3 de 4)`);
    assert.equal(nextAttemptText(en.t, en.formats, config, event({})), `next attempt at ${when(en.formats)} (attempt 3 of 4)`);
  });

  test('without a known policy (no stage, unknown pipeline) only N', () => {
    const noStage = event({ failure: { stage: null, error: { message: 'x', retriable: true } } });
    assert.match(nextAttemptText(es.t, es.formats, config, noStage) ?? '', /\(intento 3\)$/);
    assert.match(nextAttemptText(es.t, es.formats, config, event({ pipeline: 'other' })) ?? '', /\(intento 3\)$/);
  });

  test('nothing for an event that is not waiting for an automatic retry', () => {
    assert.equal(nextAttemptText(es.t, es.formats, config, event({ status: 'dead' })), null);
    assert.equal(nextAttemptText(es.t, es.formats, config, event({ nextAttemptAt: null })), null);
  });
});

describe("the home's Reintentando card: the nearest automatic retry", () => {
  const home = (nextRetryAt: string | null, retrying = 2) => ({ now: '2026-12-06T20:10:00.000Z', attention: { retrying, nextRetryAt } });
  const words = { es: homeWords('es'), en: homeWords('en') };

  test('when it is due, in the page language and Bogotá time', () => {
    const due = '2026-12-06T20:15:00.000Z';
    assert.deepEqual(nextRetryText(words.es, es.formats, home(due)), {
      text: `próximo intento ${es.formats.shortDateTime(due)}`,
      overdue: false,
    });
    assert.match(es.formats.shortDateTime(due), /^06\/12, 0?3:15\s?p\.\s?m\.$/);
    assert.deepEqual(nextRetryText(words.en, en.formats, home(due)), { text: 'next attempt at Dec 6, 15:15', overdue: false });
    // A retry a few seconds late is the worker picking it up: still the next one.
    assert.equal(nextRetryText(words.en, en.formats, home('2026-12-06T20:09:30.000Z'))?.overdue, false);
  });

  test('overdue by more than a minute (no worker taking retries): since when', () => {
    const late = '2026-12-06T19:40:00.000Z';
    assert.deepEqual(nextRetryText(words.es, es.formats, home(late)), {
      text: `intento pendiente desde ${es.formats.shortDateTime(late)}`,
      overdue: true,
    });
    assert.deepEqual(nextRetryText(words.en, en.formats, home(late)), { text: 'attempt overdue since Dec 6, 14:40', overdue: true });
  });

  test('nothing when nothing is retrying', () => {
    assert.equal(nextRetryText(words.es, es.formats, home(null, 0)), null);
  });
});
