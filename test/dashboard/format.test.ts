import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dayStartIn, jsonText, makeFormats } from '../../src/dashboard/app/format.js';
import { dayText, parseDayText } from '../../src/dashboard/app/day-text.js';
import { alertKindLabel, alertText } from '../../src/dashboard/app/alerts.js';
import { languageFromBrowser, translator } from '../../src/dashboard/app/i18n.js';
import { auditTargetOf } from '../../src/dashboard/app/audit-subject-filter.js';

describe('dashboard formats and words', () => {
  const formats = makeFormats('es-CO', 'America/Bogota', 'COP');

  test('money is in Colombian pesos by default, in the currency the event names otherwise', () => {
    assert.match(formats.money(1250000, undefined), /^\$\s?1\.250\.000$/);
    assert.match(formats.money(250000, 'COP'), /^\$\s?250\.000$/);
    assert.match(formats.money(99.5, 'USD'), /US\$\s?99,50/);
    assert.equal(formats.money(undefined, 'COP'), '—');
  });

  test('dates are shown in Bogotá time, day first', () => {
    assert.match(formats.dateTime('2025-01-27T15:30:00.000Z'), /^27\/01\/2025, 10:30:00\s?a\.\s?m\.$/);
    assert.equal(formats.dateTime(null), '—');
    // English names the month: 05/12 would read as May 12.
    const english = makeFormats('es-CO', 'America/Bogota', 'COP', 'en');
    assert.equal(english.dateTime('2026-12-05T19:03:05.000Z'), 'Dec 5, 2026, 14:03:05');
    assert.equal(english.shortDateTime('2026-12-05T19:03:05.000Z'), 'Dec 5, 14:03');
    // A period's ends (the dates a reconciliation covered): the day with its year, to the minute.
    assert.equal(english.minuteDateTime('2026-12-05T19:03:05.000Z'), 'Dec 5, 2026, 14:03');
    assert.match(formats.minuteDateTime('2026-12-05T19:03:05.000Z'), /^05\/12\/2026, 0?2:03\s?p\.\s?m\.$/);
    // Spanish short form is day first with two digits, as everywhere else (ICU writes 7/12).
    assert.match(formats.shortDateTime('2026-12-07T11:16:00.000Z'), /^07\/12, 06:16\s?a\.\s?m\.$/);
    // A narrow column never breaks a time from its "a. m." or inside it: no-break spaces there.
    for (const text of [
      formats.dateTime('2026-12-07T19:28:27.000Z'),
      formats.minuteDateTime('2026-12-07T19:28:27.000Z'),
      formats.shortDateTime('2026-12-07T11:16:00.000Z'),
    ]) {
      assert.match(text, /\d[\u00a0\u202f][ap]\.[\u00a0\u202f]m\.$/, text);
    }
    // Money follows the page's language: English digits on the English page (2.300,50 would read
    // as two point three), with no "$" that people of a peso install would read as pesos.
    assert.match(english.money(1250000, 'COP'), /^COP\s1,250,000$/, 'pesos named by their code, English grouping');
    assert.equal(english.money(2300.5, 'MXN'), 'MX$2,300.50', 'Mexican pesos as English writes them, decimal point');
    assert.equal(english.money(99.5, 'USD'), 'US$99.50', 'the US dollar never a bare $ on a peso install');
    assert.equal(english.money(1234.5, 'BRL'), 'R$1,234.50');
    assert.equal(english.money(99.9, 'EUR'), '€99.90');
    assert.equal(english.money(1000.5, 'pesos'), '1,000.5', 'a currency that is no ISO code: the number alone, in English digits');
    assert.match(formats.money(1250000, 'COP'), /^\$\s?1\.250\.000$/, 'Spanish keeps the symbol and the Colombian digits');
    assert.match(formats.money(2300.5, 'MXN'), /^MXN\s2\.300,50$/);
    assert.match(formats.money(1234.5, 'BRL'), /^BRL\s1\.234,50$/);
    assert.match(
      makeFormats('en-CO', 'America/Bogota', 'COP', 'es').money(2300.5, 'MXN'),
      /^MXN\s2\.300,50$/,
      'Spanish page of an English install',
    );
    assert.equal(makeFormats('en-US', 'America/New_York', 'USD').money(99.5, 'USD'), '$99.50', 'a US install keeps $');
    assert.match(
      makeFormats('es-CO', 'America/Bogota', 'COP', 'es').dateTime('2026-12-05T19:03:05.000Z'),
      /^05\/12\/2026, 0?2:03:05\s?p\.\s?m\.$/,
    );
    assert.equal(formats.duration(250), '250 ms');
    assert.equal(formats.duration(1500), '1,5 s', 'the Colombian decimal comma');
    assert.equal(makeFormats('en-CO', 'America/Bogota', 'COP').duration(1500), '1.5 s');
    // The English page of a Colombian install: 94,6% would read as a thousands separator.
    assert.equal(english.percent(0.946), '94.6%');
    assert.equal(english.duration(1500), '1.5 s');
    assert.match(formats.percent(0.946), /^94,6\s?%$/);
    assert.equal(formats.duration(null), '—');
  });

  test('a day filter starts at midnight in the dashboard time zone', () => {
    assert.equal(dayStartIn('2025-11-23', 'America/Bogota'), '2025-11-23T05:00:00.000Z');
    assert.equal(dayStartIn('2025-11-23', 'America/Bogota', 1), '2025-11-24T05:00:00.000Z');
    assert.equal(dayStartIn('2025-07-01', 'Europe/Madrid'), '2025-06-30T22:00:00.000Z');
    assert.equal(dayStartIn('not a day', 'America/Bogota'), undefined);
  });

  test('JSON is indented text; markup in it stays characters', () => {
    assert.equal(jsonText({ name: '<script>x</script>' }), '{\n  "name": "<script>x</script>"\n}');
  });

  test('Spanish unless the browser prefers English', () => {
    assert.equal(languageFromBrowser(['es-CO', 'en']), 'es');
    assert.equal(languageFromBrowser(['en-US']), 'en');
    assert.equal(languageFromBrowser(['pt-BR']), 'es');
    assert.equal(languageFromBrowser([]), 'es');
    assert.equal(translator('es')('retry'), 'Reintentar');
    assert.equal(translator('en')('retry'), 'Retry');
  });

  test('alerts the server computes are worded in the page language from their details', () => {
    const es = translator('es');
    const base = { at: '2025-01-27T15:30:00.000Z', eventId: 7, stage: null, message: 'event 7 is dead', resolvedAt: null };
    const dead = { ...base, kind: 'dead', details: { attempts: 3, source: 'epayco', error: 'Timeout' } };
    assert.equal(alertText(es, formats, dead), 'Evento #7 falló definitivamente (intentos: 3): Timeout');
    assert.equal(alertKindLabel(es, 'dead'), 'Fallido');
    assert.equal(alertText(translator('en'), formats, dead), 'Event #7 failed for good (attempts: 3): Timeout');
    const retried = { ...base, kind: 'retried', details: { attempts: 4, manualRetries: 1 } };
    assert.equal(alertText(es, formats, retried), 'Evento #7 lleva 3 reintentos');
    const rate = {
      ...base,
      eventId: null,
      stage: 'crm_upsert',
      kind: 'stage_error_rate',
      details: { errors: 3, finished: 5, errorRate: 0.6 },
    };
    assert.match(alertText(es, formats, rate), /^La etapa crm_upsert falló en la última hora: 3 de 5 \(60\s?%\)$/);
    const stuck = { ...base, kind: 'stuck', details: { leaseExpiresAt: '2025-01-27T15:30:00.000Z' } };
    assert.match(alertText(es, formats, stuck), /^Evento #7 está atascado en proceso desde 27\/01\/2025, 10:30:00/);
    const custom = { ...base, kind: 'custom', details: null, message: 'order 9 needs a look' };
    assert.equal(alertText(es, formats, custom), 'order 9 needs a look', 'kinds written by pipelines keep their message');
    assert.equal(alertKindLabel(es, 'custom'), 'Del flujo', 'named by where it comes from, not the word "custom"');
    assert.equal(alertKindLabel(es, 'oversold'), 'Sin existencias', "the examples' oversold stock is a known kind");
  });

  test('days are typed day first (dd/mm/aaaa) whatever the browser; a wrong one says why', () => {
    assert.deepEqual(parseDayText('05/12/2026'), { kind: 'day', day: '2026-12-05' });
    assert.deepEqual(parseDayText(' 5-12-2026 '), { kind: 'day', day: '2026-12-05' }, 'one digit, dashes');
    assert.deepEqual(parseDayText('5.12.2026'), { kind: 'day', day: '2026-12-05' });
    assert.deepEqual(parseDayText('2026-12-05'), { kind: 'day', day: '2026-12-05' }, 'a pasted ISO day');
    assert.deepEqual(parseDayText(''), { kind: 'empty' });
    assert.deepEqual(parseDayText('12/31/2026'), { kind: 'invalid', reason: 'no_such_day' }, 'month first: 31 is no month');
    assert.deepEqual(parseDayText('29/02/2025'), { kind: 'invalid', reason: 'no_such_day' }, 'not moved to 01/03');
    assert.deepEqual(parseDayText('29/02/2024'), { kind: 'day', day: '2024-02-29' });
    assert.deepEqual(parseDayText('05/12/26'), { kind: 'invalid', reason: 'format' }, 'a two-digit year is ambiguous');
    assert.deepEqual(parseDayText('2026/12/05'), { kind: 'invalid', reason: 'format' });
    assert.equal(dayText('2026-12-05'), '05/12/2026');
    assert.equal(dayText(''), '');
  });

  test("the audit log's subject filter speaks a finance person's words and still takes the codes", () => {
    for (const language of ['es', 'en'] as const) {
      const t = translator(language);
      // The hint says what can be typed in words, not as the log's codes.
      assert.doesNotMatch(t('auditSubjectHint'), /\b(alert|event|flag):/, language);
      assert.match(t('auditSubjectHint'), /#123/, language);
    }
    assert.equal(auditTargetOf('#123'), 'event:123');
    assert.equal(auditTargetOf(' 123 '), 'event:123');
    assert.equal(auditTargetOf('pago #123'), 'event:123');
    assert.equal(auditTargetOf('Payment 123'), 'event:123');
    assert.equal(auditTargetOf('alerta 12'), 'alert:12');
    assert.equal(auditTargetOf('Alert #12'), 'alert:12');
    assert.equal(auditTargetOf('WORLDOFFICE_DIAN_ENABLED'), 'flag:WORLDOFFICE_DIAN_ENABLED');
    assert.equal(auditTargetOf('flag dian_enabled'), 'flag:dian_enabled');
    // The codes as the log writes them, unchanged.
    for (const code of ['alert:12', 'event:79', 'flag:WORLDOFFICE_DIAN_ENABLED', 'token:abc']) assert.equal(auditTargetOf(code), code);
    assert.equal(auditTargetOf('  '), undefined);
  });
});
