/** Alerts in the page's language: the backlog, oversold stock and an invoice paid twice. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alertKindLabel,
  alertTechnicalDetail,
  alertText,
  alertTextParts,
  sentence,
  type AlertFacts,
} from '../../src/dashboard/app/alerts.js';
import { makeFormats } from '../../src/dashboard/app/format.js';
import { translator } from '../../src/dashboard/app/i18n.js';
import type { AlertView } from '../../src/dashboard/app/types.js';

const es = { t: translator('es'), formats: makeFormats('es-CO', 'America/Bogota', 'COP') };
const en = { t: translator('en'), formats: makeFormats('en-US', 'America/Bogota', 'COP') };

const alert = (kind: string, details: AlertView['details'], eventId: number | null = 7): AlertFacts => ({
  at: '2026-12-06T10:00:00.000Z',
  kind,
  eventId,
  stage: null,
  message: 'the server says (English)',
  details,
  resolvedAt: null,
});

describe('alerts a finance person reads', () => {
  test('a backlog says how long and how many, and what to do', () => {
    const backlog = alert(
      'backlog',
      { queued: 42, waitedSeconds: 600, thresholdSeconds: 300, oldestQueuedAt: '2026-12-06T09:50:00.000Z' },
      null,
    );
    assert.equal(alertKindLabel(es.t, 'backlog'), 'Cola atrasada');
    assert.equal(
      alertText(es.t, es.formats, backlog),
      'El evento más antiguo en cola lleva esperando 10 min (42 en cola): los workers van atrasados: agregue workers o concurrencia, o revise la etapa lenta',
    );
    assert.equal(alertKindLabel(en.t, 'backlog'), 'Backlog');
    assert.match(alertText(en.t, en.formats, backlog), /^The oldest queued event has waited 10 min \(42 queued\)/);
  });

  test("the Facturador's paid-twice alert (stored as custom) is named and worded, with both payments", () => {
    const paidTwice = alert('custom', {
      alert: 'paid_twice',
      invoiceId: 'INV-1',
      first: { eventId: 3, refPayco: '111', amount: 100000, currency: 'COP' },
      second: { eventId: 7, refPayco: '222', amount: 100000, currency: 'COP' },
    });
    assert.equal(alertKindLabel(es.t, 'custom', paidTwice.details), 'Pagada dos veces');
    assert.match(
      alertText(es.t, es.formats, paidTwice),
      /^La factura INV-1 se pagó dos veces \(ref 111 · \$\s?100\.000 \/ ref 222 · \$\s?100\.000\): el segundo pago no se facturó/,
    );
    assert.equal(alertKindLabel(en.t, 'custom', paidTwice.details), 'Paid twice');
    assert.match(alertText(en.t, en.formats, paidTwice), /^Invoice INV-1 was paid twice/);
  });

  test('oversold stock names the SKUs short; a pipeline alert of its own keeps its message and name', () => {
    const oversold = alert('oversold', { orderId: 'o-1', lines: [{ sku: 'SKU-1', shortfall: 2 }] });
    assert.equal(alertText(es.t, es.formats, oversold), 'Evento #7 se vendió sin existencias: SKU-1 (−2)');
    const perSku = { ...oversold, subject: 'sku:SKU-1', occurrences: 3 };
    assert.equal(alertText(es.t, es.formats, perSku), 'SKU-1 se vendió sin existencias: −2 en el pedido más reciente (Evento #7)');
    assert.equal(alertText(en.t, en.formats, perSku), 'SKU-1 was sold without stock: −2 on the latest order (Event #7)');
    const own = alert('custom', { alert: 'refund_pending' });
    assert.equal(alertKindLabel(es.t, 'custom', own.details), 'refund_pending');
    assert.equal(alertText(es.t, es.formats, own), 'the server says (English)');
  });
});

describe('alert wording: number, tense, punctuation', () => {
  test('one payment never notified is singular; several are plural', () => {
    const one = alert('never_notified', { count: 1, provider: 'Stripe' }, null);
    assert.match(alertText(es.t, es.formats, one), /^1 pago de Stripe nunca notificado: Web Pig lo recuperó y lo procesa/);
    assert.match(alertText(en.t, en.formats, one), /^1 payment from Stripe never notified: Web Pig recovered it and processes it/);
    const three = alert('never_notified', { count: 3, provider: 'Stripe' }, null);
    assert.match(alertText(es.t, es.formats, three), /^3 pagos de Stripe nunca notificados: Web Pig los recuperó y los procesa/);
    assert.match(alertText(en.t, en.formats, three), /^3 payments from Stripe never notified: Web Pig recovered them and processes them/);
  });

  test('a dead event "failed" in English, as "Fallido" says in Spanish', () => {
    const dead = alert('dead', { attempts: 4 }, 20);
    assert.equal(alertText(en.t, en.formats, dead), 'Event #20 failed for good (attempts: 4)');
    assert.equal(alertKindLabel(en.t, 'dead'), 'Failed');
    assert.doesNotMatch(alertText(en.t, en.formats, dead), /dead/i);
  });

  test('a dead alert names the payment: customer, amount and its reference, in both languages', async () => {
    const { referenceFact } = await import('../../src/dashboard/app/reference-labels.js');
    const payment = {
      customer: 'Lucía Vega',
      amount: 100000,
      currency: 'COP',
      references: { transactionId: 'tx-9', refPayco: '98765432' },
    };
    const dead = { ...alert('dead', { attempts: 3 }, 3), payment };
    const pageWords = (language: 'es' | 'en') => ({
      stageLabel: (stage: string) => stage,
      plainError: (_code: string | null, message: string) => message,
      referenceLabel: (key: string) => referenceFact(language, key, '').label,
    });
    assert.match(
      alertText(es.t, es.formats, dead, pageWords('es')),
      /^Evento #3 \(Lucía Vega · \$\s100\.000 · Referencia ePayco 98765432\) falló definitivamente \(intentos: 3\)$/,
    );
    assert.match(
      alertText(en.t, en.formats, dead, pageWords('en')),
      /^Event #3 \(Lucía Vega · COP\s100,000 · ePayco reference 98765432\) failed for good \(attempts: 3\)$/,
    );
    // Only what the summary has; an event that says nothing keeps its number alone.
    assert.equal(
      alertText(en.t, en.formats, { ...dead, payment: { customer: 'Lucía Vega' } }),
      'Event #3 (Lucía Vega) failed for good (attempts: 3)',
    );
    assert.equal(alertText(en.t, en.formats, { ...dead, payment: null }), 'Event #3 failed for good (attempts: 3)');
  });

  test('a text that already ends in a full stop gets no second one (the mute dialog)', () => {
    assert.equal(sentence('la factura no se ha creado).'), 'la factura no se ha creado).');
    assert.equal(sentence('Evento #7 falló'), 'Evento #7 falló.');
  });
});

describe('why an event was ignored, in plain words', () => {
  test('out of order and forbidden transitions are worded; the engine detail stays technical', async () => {
    const { ignoreText, technicalIgnoreDetail } = await import('../../src/dashboard/app/ignore-reasons.js');
    const stale = { kind: 'stale_transition', detail: 'event occurred at 2026-12-06T06:47:14.000Z, before event 141 …' };
    assert.match(ignoreText(es.t, 'es', stale), /^Llegó fuera de orden/);
    assert.match(ignoreText(en.t, 'en', stale), /^Arrived out of order/);
    assert.equal(technicalIgnoreDetail(stale), stale.detail);
    assert.match(
      ignoreText(es.t, 'es', { kind: 'invalid_transition', detail: 'reversed → accepted' }),
      /^No se aplica: ese cambio de estado no está permitido/,
    );
    const own = { kind: 'not_applicable', detail: 'transaction rejected: only accepted payments are invoiced' };
    assert.equal(ignoreText(es.t, 'es', own), 'No aplica: transaction rejected: only accepted payments are invoiced');
    assert.equal(technicalIgnoreDetail(own), null);
    // A pipeline's reason given in both languages reads in the page's language.
    const both = { ...own, texts: { es: 'transacción rechazada: solo se facturan los pagos aceptados', en: own.detail } };
    assert.equal(ignoreText(es.t, 'es', both), 'No aplica: transacción rechazada: solo se facturan los pagos aceptados');
    assert.equal(ignoreText(en.t, 'en', both), `Not applicable: ${own.detail}`);
  });
});

describe('a dead alert, as on the rows', () => {
  test('names the stage by its label and the error in plain words when the page gives them', async () => {
    const { explainError } = await import('../../src/dashboard/app/errors.js');
    const dead = alert('dead', { code: 'HTTP_404', error: 'fr360_query: FR360: GET /invoices/X answered 404', attempts: 1 });
    const withStage = { ...dead, stage: 'fr360_query' };
    const words = {
      stageLabel: (stage: string) => (stage === 'fr360_query' ? 'Consulta de la factura en FR360' : stage),
      plainError: (code: string | null, message: string) =>
        explainError('es', { message, retriable: true, ...(code ? { code } : {}) }).what,
    };
    const text = alertText(es.t, es.formats, withStage, words);
    assert.match(text, /^Evento #7 falló definitivamente \(intentos: 1\) — Consulta de la factura en FR360: /);
    assert.doesNotMatch(text, /HTTP_404|fr360_query|answered 404/, 'no engineer text');
    assert.match(alertText(es.t, es.formats, withStage), /— fr360_query: fr360_query: FR360/, 'without the page words: the server text');
  });

  test("a pipeline's alert that names no kind says where it comes from, not 'custom'", () => {
    assert.equal(alertKindLabel(es.t, 'custom', null), 'Del flujo');
    assert.equal(alertKindLabel(en.t, 'custom', {}), 'From a pipeline');
    // One that names its kind keeps that name.
    assert.equal(alertKindLabel(es.t, 'custom', { alert: 'cupo_agotado' }), 'cupo_agotado');
  });
});

describe('a reconciliation that stopped midway', () => {
  const failed = (details: Record<string, unknown>): AlertFacts => ({
    ...alert(
      'custom',
      { alert: 'reconcile_failed', source: 'stripe', provider: 'Stripe', since: '2026-12-06T10:00:00.000Z', ...details },
      null,
    ),
    message: 'reconciliation of stripe (Stripe) stopped before the end of its window … (English)',
  });

  test('says which source, since when payments may be missing, why and what to do, in the page language', () => {
    const unavailable = failed({
      code: 'PROVIDER_UNAVAILABLE',
      status: 503,
      error: 'Stripe: GET /v1/events answered 503',
      command: 'webpig reconcile --source stripe',
    });
    assert.equal(alertKindLabel(es.t, unavailable.kind, unavailable.details), 'Conciliación incompleta');
    assert.equal(alertKindLabel(en.t, unavailable.kind, unavailable.details), 'Reconciliation incomplete');
    assert.equal(
      alertText(es.t, es.formats, unavailable),
      // The time's 'a. m.' held together by no-break spaces (format.ts), as on the page.
      'La conciliación de Stripe se detuvo sin terminar el periodo desde el 06/12/2026, 05:00\u00a0a.\u00a0m.: pueden faltar pagos cuyo webhook se perdió desde entonces ' +
        '(la API del proveedor falló o no respondió a tiempo). La próxima conciliación programada la reanuda, o ejecute ahora webpig reconcile --source stripe.',
    );
    assert.equal(
      alertText(en.t, en.formats, unavailable),
      'Reconciliation of Stripe stopped before finishing the period from Dec 6, 2026, 05:00: payments whose webhook was lost since then may be missing ' +
        "(the provider's API failed or did not answer in time). The next scheduled run resumes it, or run webpig reconcile --source stripe now.",
    );
    assert.equal(alertTechnicalDetail(unavailable), 'Stripe: GET /v1/events answered 503', "the provider's words, folded");
  });

  test('a refused key is to be fixed first; a source under another name is told apart', () => {
    const refused = failed({ source: 'stripe_eu', code: 'PROVIDER_REFUSED', status: 401, command: 'webpig reconcile --source stripe_eu' });
    assert.match(alertText(es.t, es.formats, refused), /^La conciliación de stripe_eu se detuvo/);
    assert.match(
      alertText(es.t, es.formats, refused),
      /\(el proveedor rechazó la clave\)\. Corrija lo que indica el detalle técnico y ejecute webpig reconcile --source stripe_eu\.$/,
    );
    assert.match(
      alertText(en.t, en.formats, refused),
      /\(the provider refused the key\)\. Fix what the technical detail names, then run webpig reconcile --source stripe_eu\.$/,
    );
    const limited = failed({ code: 'PROVIDER_RATE_LIMITED', status: 429 });
    assert.match(alertText(en.t, en.formats, limited), /\(the provider limited the requests\)\. The next scheduled run resumes it/);
    // A failure that is not the provider's (say, the database): no cause guessed.
    const other = failed({ code: null, status: null, error: 'connection terminated' });
    assert.match(
      alertText(en.t, en.formats, other),
      /may be missing\. The next scheduled run resumes it, or run webpig reconcile --source stripe now\.$/,
    );
    assert.equal(sentence(alertText(en.t, en.formats, other)), alertText(en.t, en.formats, other), 'one full stop');
    // ePayco is looked up by references: no window of dates is named.
    const epayco = failed({ source: 'epayco', provider: 'ePayco', since: null, code: 'PROVIDER_UNAVAILABLE', status: 503 });
    assert.match(
      alertText(es.t, es.formats, epayco),
      /^La conciliación de ePayco se detuvo sin consultar todas las referencias: puede faltar algún pago de ellas cuyo webhook se perdió \(la API/,
    );
    assert.match(
      alertText(en.t, en.formats, epayco),
      /^Reconciliation of ePayco stopped before looking up every reference: a payment among them whose webhook was lost may be missing \(the provider's API/,
    );
  });
});

describe('a reconciliation that stopped happening (overdue)', () => {
  const overdue = (details: Record<string, unknown>): AlertFacts => ({
    ...alert(
      'custom',
      {
        alert: 'reconcile_overdue',
        source: 'stripe',
        since: '2026-12-06T10:00:00.000Z',
        everFinished: true,
        every: '15m',
        overdueAfterSeconds: 2_700,
        command: 'webpig reconcile --source stripe',
        ...details,
      },
      null,
    ),
    message: 'reconciliation of stripe is overdue … (English)',
  });

  test('says which source, since when no run finished, that lost payments are not looked for, and what to do', () => {
    const late = overdue({});
    assert.equal(alertKindLabel(es.t, late.kind, late.details), 'Conciliación atrasada');
    assert.equal(alertKindLabel(en.t, late.kind, late.details), 'Reconciliation overdue');
    assert.equal(
      alertText(es.t, es.formats, late),
      'La última conciliación de Stripe que terminó fue el 06/12/2026, 05:00\u00a0a.\u00a0m., y debería hacerse cada 15 min: ' +
        'los pagos cuyo webhook se perdió desde entonces no se están buscando. ' +
        'Pida a quien administra webpig que revise que el worker esté en marcha y lea sus registros; mientras tanto, se puede ejecutar a mano: webpig reconcile --source stripe.',
    );
    assert.equal(
      alertText(en.t, en.formats, late),
      'The last reconciliation of Stripe that finished was on Dec 6, 2026, 05:00, though it should run every 15 min: ' +
        'payments whose webhook was lost since then are not being looked for. ' +
        'Ask whoever runs webpig to check that its worker is running and read its logs; meanwhile, it can be run by hand: webpig reconcile --source stripe.',
    );
    assert.equal(alertTechnicalDetail(late), null, 'the text says it all');
    const never = overdue({ source: 'mercadopago', everFinished: false, every: '1d', command: 'webpig reconcile --source mercadopago' });
    assert.match(
      alertText(es.t, es.formats, never),
      /^Ninguna conciliación de MercadoPago ha terminado todavía, y debería hacerse cada 1 día desde el 06\/12\/2026, 05:00\sa\.\sm\.: los pagos cuyo webhook se perdió no se están buscando\. /,
    );
    assert.match(
      alertText(en.t, en.formats, overdue({ everFinished: false, every: '2d' })),
      /^No reconciliation of Stripe has finished yet, though it should run every 2 days since Dec 6, 2026, 05:00: payments whose webhook was lost are not being looked for\. /,
    );
  });

  test('the command is a piece of its own (shown as code), in the overdue and the failed alert alike', () => {
    for (const facts of [
      overdue({ source: 'stripe-es-desktop', command: 'webpig reconcile --source stripe-es-desktop' }),
      {
        ...alert(
          'custom',
          { alert: 'reconcile_failed', source: 'stripe-es-desktop', since: null, command: 'webpig reconcile --source stripe-es-desktop' },
          null,
        ),
      },
    ]) {
      for (const { t, formats } of [es, en]) {
        const parts = alertTextParts(t, formats, facts);
        assert.deepEqual(
          parts.filter((part) => part.command),
          [{ text: 'webpig reconcile --source stripe-es-desktop', command: true }],
        );
        assert.equal(parts.map((part) => part.text).join(''), alertText(t, formats, facts), 'the same words as the plain text');
        assert.ok(parts.at(-1)?.text.startsWith('.') || parts.at(-1)?.text.endsWith('.'), 'the sentence ends after the command');
      }
    }
    // Any other alert is words only.
    assert.deepEqual(alertTextParts(es.t, es.formats, alert('dead', { attempts: 4 }, 20)), [
      { text: alertText(es.t, es.formats, alert('dead', { attempts: 4 }, 20)) },
    ]);
  });
});
