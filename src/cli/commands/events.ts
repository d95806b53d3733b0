/**
 * `webpig events [--status S] [--source S] [--limit N] [--json]` lists events;
 * `webpig events show ID [--json]` prints one event's summary and every stage's checkpoint.
 * Read-only: they never create a database and need no webhook secrets. Times and amounts are
 * shown as the config's dashboard settings say (src/cli/format.ts). Deps: see cli-deps.ts.
 */
import type { Command } from 'commander';
import type { PipelineDefinition } from '../../core/pipeline.js';
import { EVENT_STATUSES, type CheckpointRecord, type EventRecord, type EventStatus } from '../../core/types.js';
import { EventNotFoundError } from '../../engine/operations.js';
import { choosePipeline } from '../../engine/runner.js';
import { visibleText } from '../../core/visible-text.js';
import { cliFormats, type CliFormats } from '../format.js';
import { checkSourceOption, parsePositiveInt, UsageError, withStore, type EngineCliDeps } from './cli-deps.js';

interface ListOptions {
  status?: string;
  source?: string;
  limit: string;
  json?: boolean;
}

export function register(program: Command, deps: EngineCliDeps): void {
  const events = program
    .command('events')
    .description('list events, newest first')
    .option('--status <status>', `only events in this status (${EVENT_STATUSES.join(', ')})`)
    .option('--source <source>', 'only events from this source')
    .option('--limit <n>', 'how many (at most 500)', '50')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: ListOptions) => {
      const status = opts.status === undefined ? undefined : parseStatus(opts.status);
      const limit = Math.min(parsePositiveInt(opts.limit, '--limit'), 500);
      const formats = cliFormats(await deps.loadConfigForReading());
      await withStore(deps.openExistingStore, async (store) => {
        await checkSourceOption(deps, store, opts.source);
        const page = await store.listEvents({ status, source: opts.source }, { limit });
        if (opts.json) {
          console.log(JSON.stringify(page.items.map(eventJson), null, 2));
          return;
        }
        if (page.items.length === 0) {
          console.log('no events');
          return;
        }
        for (const line of table(
          page.items.map((e) => eventRow(e, formats)),
          EVENT_COLUMNS,
        ))
          console.log(line);
      });
    });

  events
    .command('show')
    .description("one event's summary and every stage's checkpoint")
    .argument('<id>', 'event id')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const eventId = parsePositiveInt(id, 'event id');
      const config = await deps.loadConfigForReading();
      const pipelines: PipelineDefinition[] = config?.pipelines ?? [];
      const formats = cliFormats(config);
      await withStore(deps.openExistingStore, async (store) => {
        const event = await store.getEvent(eventId);
        if (!event) throw new EventNotFoundError(eventId);
        const checkpoints = orderCheckpoints(await store.getCheckpoints(eventId), choosePipeline(pipelines, event));
        if (opts.json) {
          console.log(JSON.stringify({ event: eventJson(event), checkpoints }, null, 2));
          return;
        }
        for (const line of showEvent(event, checkpoints, formats)) console.log(line);
      });
    });
}

function parseStatus(value: string): EventStatus {
  const status = EVENT_STATUSES.find((s) => s === value);
  if (!status) throw new UsageError(`--status must be one of ${EVENT_STATUSES.join(', ')}; got "${value}"`);
  return status;
}

/** The event without its raw bytes (they may be large and are not meant for a terminal). */
function eventJson(event: EventRecord): Omit<EventRecord, 'rawBody'> & { rawBodyBytes: number } {
  const { rawBody, ...rest } = event;
  return { ...rest, rawBodyBytes: rawBody.length };
}

/** Pipeline order first (stages never started included as pending), then any others. */
function orderCheckpoints(checkpoints: CheckpointRecord[], pipeline: PipelineDefinition | undefined): CheckpointRecord[] {
  if (!pipeline) return checkpoints;
  const byStage = new Map(checkpoints.map((c) => [c.stage, c]));
  const ordered = pipeline.stages.map(
    (s): CheckpointRecord =>
      byStage.get(s.name) ?? {
        eventId: checkpoints[0]?.eventId ?? 0,
        stage: s.name,
        status: 'pending',
        attempts: 0,
        startedAt: null,
        completedAt: null,
        durationMs: null,
        data: null,
        error: null,
        skipReason: null,
        history: [],
        updatedAt: new Date(0),
      },
  );
  return [...ordered, ...checkpoints.filter((c) => !pipeline.stages.some((s) => s.name === c.stage))];
}

const EVENT_COLUMNS = ['ID', 'STATUS', 'SOURCE', 'TYPE', 'RECEIVED', 'ATTEMPTS', 'CUSTOMER', 'AMOUNT', 'LAST ERROR'];

function eventRow(e: EventRecord, f: CliFormats): string[] {
  const amount = e.summary.amount === undefined ? '' : f.money(e.summary.amount, e.summary.currency);
  return [
    String(e.id),
    e.status,
    e.source,
    e.type,
    f.time(e.receivedAt),
    String(e.attempts),
    e.summary.customer?.name ?? e.summary.customer?.email ?? '',
    amount,
    e.lastError?.message ?? e.ignoreReason?.detail ?? '',
  ];
}

function table(rows: string[][], header: string[]): string[] {
  const all = [header, ...rows.map((r) => r.map(oneLine))];
  const widths = header.map((_, i) => Math.min(60, Math.max(...all.map((r) => (r[i] ?? '').length))));
  return all.map((r) =>
    r
      .map((cell, i) => cell.slice(0, widths[i]).padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Control characters from payloads never reach the terminal (no escape-sequence tricks), and
 * bidirectional or invisible ones are written out as `[U+202E]` (no id looking like another).
 */
function oneLine(text: string): string {
  return visibleText(text).replace(/[\t\n]/g, ' ');
}

function showEvent(e: EventRecord, checkpoints: CheckpointRecord[], f: CliFormats): string[] {
  const s = e.summary;
  const lines = [
    `event ${e.id}  ${e.status}  ${e.source}/${e.providerEventId}  type ${e.type}`,
    `  pipeline ${e.pipeline ?? '-'}  entity ${e.entityKey ?? '-'}  attempts ${e.attempts}  manual retries ${e.manualRetries}`,
    `  occurred ${f.time(e.occurredAt)}  received ${f.time(e.receivedAt)}` +
      (e.nextAttemptAt ? `  next attempt ${f.time(e.nextAttemptAt)}` : ''),
  ];
  if (s.customer)
    lines.push(`  customer ${[s.customer.name, s.customer.documentId, s.customer.email, s.customer.phone].filter(Boolean).join(' · ')}`);
  if (s.product || s.amount !== undefined) {
    const product = oneLine(`${s.product?.name ?? '-'}${s.product?.id ? ` (${s.product.id})` : ''}`);
    lines.push(`  product ${product}  amount ${f.money(s.amount, s.currency)}`);
  }
  if (s.references)
    lines.push(
      `  references ${Object.entries(s.references)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  if (e.lastError) lines.push(`  last error ${e.lastError.code ?? ''} ${e.lastError.message}`);
  if (e.ignoreReason) lines.push(`  ignored (${e.ignoreReason.kind}) ${e.ignoreReason.detail}`);
  lines.push('', '  stages:');
  const rows = checkpoints.map((c) => [
    c.stage,
    c.status,
    c.durationMs === null ? '' : `${c.durationMs} ms`,
    String(c.attempts),
    c.error ? `${c.error.code ?? ''} ${c.error.message}${c.error.retriable ? ' (retriable)' : ' (permanent)'}` : skipText(c),
  ]);
  lines.push(...table(rows, ['STAGE', 'STATUS', 'DURATION', 'ATTEMPTS', 'ERROR / SKIP REASON']).map((l) => `  ${l}`));
  for (const c of checkpoints) {
    for (const h of c.history) {
      if (h.note) lines.push(`  ${c.stage} attempt ${h.attempt}: ${h.status} (${oneLine(h.note)})`);
    }
  }
  return lines.map(oneLine);
}

function skipText(c: CheckpointRecord): string {
  const r = c.skipReason;
  if (!r) return '';
  if (r.kind === 'flag') return `flag ${r.flag}=${r.value}`;
  if (r.kind === 'dependency') return `dependency ${r.stage} is ${r.status}`;
  return `condition: ${r.detail}`;
}
