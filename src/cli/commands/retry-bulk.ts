/**
 * `webpig retry --status dead [--stage S] [--code C] [--since D] [--until D] [--source S]
 * [--pipeline P] [--rerun STAGE] (--dry-run | --reason TEXT) [--json]`: the bulk form of
 * `webpig retry`. It always prints the preview — how many events and, for each, the stages that
 * will run, be skipped, or are done and will not — computed by the engine's bulk functions, the
 * same the API and the dashboard use. `--dry-run` stops there and changes nothing; otherwise the
 * events are queued with the reason in the audit log. Bad filters: exit 2, nothing changed.
 */
import type { PipelineDefinition } from '../../core/pipeline.js';
import type { EventStatus } from '../../core/types.js';
import { visibleText } from '../../core/visible-text.js';
import {
  checkBulkRequest,
  previewBulk,
  runBulk,
  type BulkFilter,
  type BulkPreview,
  type BulkRequest,
  type BulkResult,
} from '../../engine/bulk-actions.js';
import type { PlannedStage } from '../../engine/run-plan.js';
import { parseCliDate } from '../dates.js';
import { cliFormats, DEFAULT_TIME_ZONE, type CliFormats } from '../format.js';
import { checkSourceOption, CliFailure, cliActor, UsageError, withStore, type EngineCliDeps } from './cli-deps.js';

export interface BulkRetryOptions {
  status?: string;
  stage?: string;
  code?: string;
  since?: string;
  until?: string;
  source?: string;
  pipeline?: string;
  rerun?: string;
  dryRun?: boolean;
  reason?: string;
  json?: boolean;
}

/** True when any option of the bulk form was given (then an event id is not allowed). */
export function isBulkRetry(opts: BulkRetryOptions): boolean {
  return (
    [opts.status, opts.stage, opts.code, opts.since, opts.until, opts.source, opts.pipeline, opts.rerun].some((v) => v !== undefined) ||
    opts.dryRun === true
  );
}

export async function bulkRetry(deps: EngineCliDeps, opts: BulkRetryOptions): Promise<void> {
  const config = await deps.loadConfigForReading();
  const pipelines: PipelineDefinition[] = config?.pipelines ?? [];
  const request = bulkRequest(opts, config?.dashboard?.timeZone ?? DEFAULT_TIME_ZONE);
  if (!opts.dryRun && (opts.reason === undefined || opts.reason.trim() === '')) {
    throw new UsageError('a bulk retry needs --reason "why" (kept in the audit log); see what it would do first with --dry-run');
  }
  // Checked before the database is opened: a bad filter changes nothing, not even a new file.
  rethrowAsUsage(() => checkBulkRequest(pipelines, request));
  const formats = cliFormats(config);
  await withStore(
    () => deps.openExistingStore({ writes: !opts.dryRun }),
    async (store) => {
      await checkSourceOption(deps, store, request.filter.source);
      const preview = await previewBulk(store, pipelines, request);
      if (opts.dryRun) {
        if (opts.json) console.log(JSON.stringify({ preview }, null, 2));
        else printPreview(preview, formats, true);
        return;
      }
      if (!opts.json) printPreview(preview, formats, false);
      const result = await runBulk(
        store,
        pipelines,
        request,
        { actor: cliActor(), remoteAddress: null, at: new Date(), reason: opts.reason!.trim() },
        preview.events.map((e) => e.eventId),
      );
      if (opts.json) console.log(JSON.stringify({ preview, result }, null, 2));
      else printResult(result);
      if (result.refused.length > 0) {
        throw new CliFailure('BULK_PARTLY_REFUSED', `${result.refused.length} of ${preview.count} events were not queued (listed above)`);
      }
    },
  );
}

function bulkRequest(opts: BulkRetryOptions, timeZone: string): BulkRequest {
  if (!opts.rerun && opts.status === undefined) {
    throw new UsageError('a bulk retry needs --status dead (or retrying, or dead,retrying); to run a stage again, --rerun STAGE');
  }
  const filter: BulkFilter = {};
  if (opts.status !== undefined)
    filter.status = opts.status
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean) as EventStatus[];
  if (opts.stage !== undefined) filter.stage = opts.stage;
  if (opts.code !== undefined) filter.code = opts.code;
  if (opts.source !== undefined) filter.source = opts.source;
  if (opts.pipeline !== undefined) filter.pipeline = opts.pipeline;
  if (opts.since !== undefined) filter.since = parseCliDate(opts.since, '--since', timeZone);
  if (opts.until !== undefined) filter.until = parseCliDate(opts.until, '--until', timeZone);
  return { filter, rerun: opts.rerun ?? null };
}

/** The engine names the field (`stage: unknown stage …`); the CLI says it as its option. */
function rethrowAsUsage(check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'INVALID_ARGUMENT') throw new UsageError(`--${err.message}`);
    throw err;
  }
}

function printPreview(preview: BulkPreview, f: CliFormats, dryRun: boolean): void {
  const verb = preview.mode === 'rerun' ? `re-run from ${preview.rerun}` : 'retried';
  const head =
    preview.count === 0
      ? `no events match: nothing to ${preview.mode === 'rerun' ? 're-run' : 'retry'}`
      : `${preview.count} event${preview.count === 1 ? '' : 's'} would be ${verb} (${preview.stagesToRun} stage runs)`;
  console.log(dryRun ? `${head}; nothing was changed (--dry-run)` : head);
  // As Web Pig's preview and a single retry warn: these fail the same way unless something changed.
  const permanent = preview.events.filter((item) => item.permanentError).length;
  if (permanent > 0) {
    console.log(
      `${permanent} of them failed with an error that retrying does not fix (marked "permanent error"): ` +
        'unless the data, the configuration or the other system changed, they will fail the same way',
    );
  }
  for (const item of preview.events) {
    const code = item.errorCode
      ? ` (${item.errorCode}${item.permanentError ? ', permanent error' : ''})`
      : item.permanentError
        ? ' (permanent error)'
        : '';
    const failed = item.failedStage ? `  failed at ${item.failedStage}${code}` : item.permanentError ? '  permanent error' : '';
    console.log(
      `#${item.eventId}  ${item.status}  ${item.source}  ${f.time(item.receivedAt)}  ${visibleText(item.customer ?? '-')}  ${f.money(item.amount ?? undefined, item.currency ?? undefined)}${failed}`,
    );
    printStages(
      'will run',
      item.plan.stages.filter((s) => s.action === 'run'),
    );
    printStages(
      'will be skipped',
      item.plan.stages.filter((s) => s.action === 'skip'),
    );
    printStages(
      'done, not run again',
      item.plan.stages.filter((s) => s.action === 'done'),
    );
  }
  for (const x of preview.excluded) {
    const why = {
      already_succeeded: `${preview.rerun} already succeeded`,
      in_queue: 'already queued or running',
      stage_not_in_pipeline: `their pipeline has no ${preview.rerun}`,
      handled: 'marked as handled by hand',
    }[x.reason];
    console.log(`left alone: ${x.count} event${x.count === 1 ? '' : 's'} (${why})`);
  }
}

function printStages(title: string, stages: PlannedStage[]): void {
  if (stages.length === 0) return;
  console.log(`    ${title}: ${stages.map(stageText).join(', ')}`);
}

function stageText(s: PlannedStage): string {
  if (s.action === 'skip') {
    const r = s.skipReason;
    return r?.kind === 'flag'
      ? `${s.stage} (flag ${r.flag} is off)`
      : r?.kind === 'dependency'
        ? `${s.stage} (${r.stage} is skipped)`
        : s.stage;
  }
  if (s.action === 'run') return s.cause === 'follows' ? `${s.stage} (was skipped because of it)` : s.stage;
  return s.current === 'skipped' ? `${s.stage} (skipped)` : s.stage;
}

function printResult(result: BulkResult): void {
  const ids = result.queued.map((q) => q.eventId);
  console.log(
    ids.length === 0 ? 'no events queued' : `${ids.length} ${ids.length === 1 ? 'event' : 'events'} queued again: ${ids.join(', ')}`,
  );
  for (const r of result.refused) console.log(`not queued: #${r.eventId}: ${r.message}`);
}
