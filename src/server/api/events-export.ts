import { z } from 'zod';
import type { PipelineDefinition, StageLabel } from '../../core/pipeline.js';
import type { EventStatus, TransactionStatus } from '../../core/types.js';
import { errorReply } from '../../core/wire/common.js';
import { HttpError } from '../http-errors.js';
import { requireScope, type ApiContext } from './context.js';
import type { ApiApp } from './contract.js';
import type { EventRow } from './event-view.js';
import { eventFilterQuery, loadRows, matchesState, storeFilter } from './events.js';
import { localTimestamp } from './periods.js';

/**
 * GET /api/events/export: the events list, with the same filters, as a CSV file a spreadsheet
 * opens as it is — for the finance person who reconciles the day's payments with the bank or
 * hands a list of stuck payments to accounting. In the dashboard's language: Spanish writes
 * `;` between fields and a decimal comma (what Excel expects in Colombia), English `,` and a
 * decimal point; times on the dashboard's time zone's wall clock; a UTF-8 byte-order mark, so
 * Excel reads "María" as written. Newest first, as the list.
 */

/** Rows an export holds at most; a larger selection is refused with its count, before any is read. */
export const MAX_EXPORT_ROWS = 50_000;

const exportQuery = eventFilterQuery.extend({ lang: z.enum(['es', 'en']).default('es') });
type Language = 'es' | 'en';

/**
 * The file's words. The status and transaction words, and the headers of the columns the
 * dashboard also shows, are the dashboard's (src/dashboard/app/i18n-*.ts), copied: the server
 * may not import the dashboard (layers), so api-events-export-words.test.ts holds them equal.
 */
export const EXPORT_WORDS = {
  es: {
    header: [
      'ID',
      'Recibido',
      'Fuente',
      'Flujo',
      'Tipo',
      'Estado',
      'Transacción',
      'Cliente',
      'Documento',
      'Correo',
      'Teléfono',
      'Producto',
      'Monto',
      'Moneda',
      'Etapa con error',
      'Error',
      'Por qué se ignoró',
      'Atendido a mano por',
      'Por qué se atendió a mano',
      'Recuperado por conciliación',
      'Id del proveedor',
    ],
    status: {
      queued: 'En cola',
      processing: 'Procesando',
      succeeded: 'Completado',
      retrying: 'Reintentando',
      dead: 'Fallido',
      ignored: 'Ignorado',
    },
    transaction: { accepted: 'Aceptada', rejected: 'Rechazada', pending: 'Pendiente', reversed: 'Reversada' },
    ignored: {
      no_pipeline: 'ningún flujo lo atiende',
      stale_transition: 'llegó fuera de orden',
      invalid_transition: 'cambio de estado no permitido',
    },
    yes: 'sí',
    file: 'eventos',
  },
  en: {
    header: [
      'ID',
      'Received',
      'Source',
      'Pipeline',
      'Type',
      'Status',
      'Transaction',
      'Customer',
      'Document',
      'E-mail',
      'Phone',
      'Product',
      'Amount',
      'Currency',
      'Failed stage',
      'Error',
      'Why ignored',
      'Handled by hand by',
      'Why handled by hand',
      'Recovered by reconciliation',
      'Provider id',
    ],
    status: {
      queued: 'Queued',
      processing: 'Processing',
      succeeded: 'Succeeded',
      retrying: 'Retrying',
      dead: 'Failed',
      ignored: 'Ignored',
    },
    transaction: { accepted: 'Accepted', rejected: 'Rejected', pending: 'Pending', reversed: 'Reversed' },
    ignored: {
      no_pipeline: 'no pipeline handles it',
      stale_transition: 'arrived out of order',
      invalid_transition: 'state change not allowed',
    },
    yes: 'yes',
    file: 'events',
  },
} as const satisfies Record<
  Language,
  {
    header: readonly string[];
    status: Record<EventStatus, string>;
    transaction: Record<TransactionStatus, string>;
    ignored: Record<'no_pipeline' | 'stale_transition' | 'invalid_transition', string>;
    yes: string;
    file: string;
  }
>;

export function registerEventExportRoute(app: ApiApp, ctx: ApiContext): void {
  const schema = {
    summary: 'The events list, with the same filters, as a CSV file (newest first; lang=es|en)',
    querystring: exportQuery,
    response: {
      200: {
        description: 'The header line, then one line per event; Spanish: ";" and a decimal comma, English: "," and a point.',
        content: { 'text/csv': { schema: z.string() } },
      },
      '4xx': errorReply,
    },
  };
  app.get('/api/events/export', { config: { rights: 'events:read' }, schema }, async (request, reply) => {
    requireScope(request, 'events:read');
    const { query } = request;
    const language = query.lang;
    const timeZone = ctx.dashboard.timeZone ?? 'America/Bogota';
    const filter = await storeFilter(ctx, query);
    const rows: EventRow[] = [];
    if (filter) {
      const matching = await ctx.store.countEvents(filter);
      if (matching > MAX_EXPORT_ROWS) {
        throw new HttpError(
          400,
          'EXPORT_TOO_LARGE',
          `${matching} events match; an export holds at most ${MAX_EXPORT_ROWS}: narrow the filter (a shorter range of days, a status, a pipeline)`,
        );
      }
      let cursor: string | null = null;
      do {
        const page = await ctx.store.listEvents(filter, { cursor, limit: 500 });
        rows.push(...(await loadRows(ctx, page.items)).filter((row) => matchesState(ctx, row, query.column, query.columnState)));
        cursor = page.nextCursor;
      } while (cursor);
    }
    const day = localTimestamp(ctx.now(), timeZone).slice(0, 10);
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="webpig-${EXPORT_WORDS[language].file}-${day}.csv"`)
      .header('cache-control', 'no-store');
    return eventsCsv(rows, { language, timeZone, pipelines: ctx.pipelines });
  });
}

/** The CSV text: a byte-order mark, the header, one line per row, CRLF line ends (RFC 4180). */
export function eventsCsv(rows: EventRow[], options: { language: Language; timeZone: string; pipelines: PipelineDefinition[] }): string {
  const { language, timeZone, pipelines } = options;
  const words = EXPORT_WORDS[language];
  const separator = language === 'es' ? ';' : ',';
  const line = (cells: Cell[]) => cells.map((cell) => csvCell(cell, separator, language)).join(separator);
  // The time zone beside "Received": the times are its wall clock.
  const header = words.header.map((name, i): string => (i === 1 ? `${name} (${timeZone})` : name));
  const lines = [line(header)];
  for (const row of rows) {
    const { customer, product, amount, currency } = row.summary;
    const pipeline = pipelines.find((p) => p.name === row.pipeline);
    lines.push(
      line([
        { number: row.id },
        localTimestamp(row.receivedAt, timeZone),
        row.source,
        pipeline ? labelIn(pipeline.label, language, pipeline.name) : (row.pipeline ?? ''),
        row.type,
        words.status[row.status],
        row.transactionStatus ? words.transaction[row.transactionStatus] : '',
        customer?.name ?? '',
        customer?.documentId ?? '',
        customer?.email ?? '',
        customer?.phone ?? '',
        product?.name ?? '',
        amount === undefined ? '' : { number: amount },
        currency ?? '',
        row.failure?.stage ? stageLabelIn(pipeline, row.failure.stage, language) : '',
        row.failure?.error.message ?? '',
        ignoredWhy(row, language),
        row.handled?.by ?? '',
        row.handled?.reason ?? '',
        row.origin === 'reconciliation' ? words.yes : '',
        row.providerEventId,
      ]),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/** A sign, then only digits, spaces, dots, dashes and brackets: a phone number or an amount, never a formula's call. */
const PHONE_LIKE = /^[+-][\d\s.()-]+$/;

/** A text, or a number written with the language's decimal mark (no grouping: a spreadsheet reads it as a number). */
type Cell = string | { number: number };

/**
 * One field: a number with the language's decimal mark; a text quoted when it holds the
 * separator, a quote or a line break, and led by `'` when it starts like a formula (`=`, `+`,
 * `-`, `@`, a tab or a carriage return), so a spreadsheet shows a customer's name or an error
 * message and never runs it (CSV injection). A phone number (`+57 300 123 4567`) is left as
 * it is: digits, spaces, dots and brackets after a sign call nothing.
 */
function csvCell(cell: Cell, separator: string, language: Language): string {
  if (typeof cell !== 'string') return language === 'es' ? String(cell.number).replace('.', ',') : String(cell.number);
  const text = /^[=+\-@\t\r]/.test(cell) && !PHONE_LIKE.test(cell) ? `'${cell}` : cell;
  return text.includes(separator) || /["\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function labelIn(label: StageLabel | undefined, language: Language, fallback: string): string {
  if (label === undefined) return fallback;
  if (typeof label === 'string') return label;
  return label[language] ?? label.es ?? label.en ?? fallback;
}

function stageLabelIn(pipeline: PipelineDefinition | undefined, stage: string, language: Language): string {
  return labelIn(pipeline?.stages.find((s) => s.name === stage)?.label, language, stage);
}

/** Why an event was ignored: the engine's reasons in a few words, a pipeline's own in its words. */
function ignoredWhy(row: EventRow, language: Language): string {
  const reason = row.ignoreReason;
  if (row.status !== 'ignored' || !reason) return '';
  if (reason.kind === 'not_applicable') return reason.texts?.[language] ?? reason.detail;
  return EXPORT_WORDS[language].ignored[reason.kind];
}
