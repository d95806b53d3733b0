/**
 * `webpig retry ID [--wait [--timeout S]] [--reason TEXT]`: put one event back in the queue. It
 * resumes from its checkpoints; nothing that succeeded runs again. Which events may be retried
 * is the engine's rule (MANUALLY_RETRIABLE), the same as the API's. The bulk form (`--status
 * dead --stage … --dry-run`) is in retry-bulk.ts. Deps: see cli-deps.ts.
 */
import type { Command } from 'commander';
import type { EventRecord } from '../../core/types.js';
import { EventNotFoundError, retryEvent } from '../../engine/operations.js';
import type { Store } from '../../store/store.js';
import { cliFormats, type CliFormats } from '../format.js';
import { CliFailure, cliActor, parsePositiveInt, UsageError, withStore, type EngineCliDeps } from './cli-deps.js';
import { bulkRetry, isBulkRetry, type BulkRetryOptions } from './retry-bulk.js';

interface RetryOptions extends BulkRetryOptions {
  wait?: boolean;
  timeout: string;
}

/** How often `--wait` looks at the event. */
const POLL_MS = 250;

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('retry')
    .description('put a dead or retrying event back in the queue (it resumes from its checkpoints)')
    .argument('[id]', 'event id')
    .option('--status <status>', 'bulk: retry events in this status: dead, retrying, or dead,retrying')
    .option('--stage <stage>', 'bulk: only events whose stage STAGE failed')
    .option('--code <code>', 'bulk: only events with a failed stage with this error code (e.g. HTTP_404)')
    .option('--since <date>', 'bulk: received at or after (2026-12-01, midnight in the config time zone, or 2026-12-01T08:00:00-05:00)')
    .option('--until <date>', 'bulk: received before (same forms as --since)')
    .option('--source <source>', 'bulk: only events from this source')
    .option('--pipeline <pipeline>', 'bulk: only events of this pipeline')
    .option('--rerun <stage>', 'bulk: re-run this stage where it did not succeed, and the stages it had blocked')
    .option('--dry-run', 'bulk: print what would run, event by event, and change nothing')
    .option('--reason <text>', 'why (kept in the audit log and the event history; needed for a bulk run)')
    .option('--json', 'bulk: print the preview (and result) as JSON')
    .option('--wait', 'follow the event until a worker has run it; exit 0 if it succeeded, 1 if not')
    .option('--timeout <seconds>', 'with --wait: give up after this long (exit 1)', '120')
    .action(async (id: string | undefined, opts: RetryOptions) => {
      const bulk = isBulkRetry(opts);
      if (id !== undefined && bulk) throw new UsageError('give an event id or a filter (--status dead …), not both');
      if (id === undefined && !bulk) throw new UsageError('give an event id, or --status dead (with --dry-run to preview)');
      if (opts.wait && id === undefined) throw new UsageError('--wait follows one event: give its id');
      if (bulk) return bulkRetry(deps, opts);
      const timeoutMs = parsePositiveInt(opts.timeout, '--timeout') * 1000;
      const eventId = parsePositiveInt(id!, 'event id');
      const formats = opts.wait ? cliFormats(await deps.loadConfigForReading()) : null;
      // An event that is not there is a mistyped --db as often as a mistyped id: never create one.
      await withStore(
        () => deps.openExistingStore({ writes: true }),
        async (store) => {
          const event = await retryEvent(store, eventId, cliActor(), null, new Date(), opts.reason?.trim() || null);
          console.log(
            `event ${event.id} queued again (retried by hand ${event.manualRetries === 1 ? 'once' : `${event.manualRetries} times`})`,
          );
          if (formats) await followToOutcome(store, event, timeoutMs, formats);
        },
      );
    });
}

/**
 * Waits until a worker has taken the re-queued event and left it succeeded, dead, retrying or
 * ignored, and says which. Anything but succeeded is a CliFailure (exit 1), as is the timeout.
 */
async function followToOutcome(store: Store, queued: EventRecord, timeoutMs: number, f: CliFormats): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = await store.getEvent(queued.id);
    if (!event) throw new EventNotFoundError(queued.id);
    // `retrying` before any new attempt would be the status it was retried from: wait for a claim.
    const ran = event.attempts > queued.attempts;
    if (event.status === 'succeeded') {
      console.log(`event ${event.id} succeeded (attempt ${event.attempts})`);
      return;
    }
    if (event.status === 'dead' && ran) {
      throw new CliFailure('EVENT_DEAD', `event ${event.id} is dead again: ${errorText(event)}; see webpig events show ${event.id}`);
    }
    if (event.status === 'retrying' && ran) {
      throw new CliFailure(
        'EVENT_RETRYING',
        `event ${event.id} failed again (${errorText(event)}); next attempt ${f.time(event.nextAttemptAt)}`,
      );
    }
    if (event.status === 'ignored') {
      throw new CliFailure('EVENT_IGNORED', `event ${event.id} was ignored: ${event.ignoreReason?.detail ?? 'no pipeline applies'}`);
    }
    if (Date.now() >= deadline) {
      throw new CliFailure(
        'WAIT_TIMEOUT',
        `event ${event.id} is still ${event.status} after ${Math.round(timeoutMs / 1000)} s (is a worker running?); follow it with webpig events show ${event.id}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function errorText(event: EventRecord): string {
  const e = event.lastError;
  return e ? `${e.code ? `${e.code} ` : ''}${e.message}` : 'no error recorded';
}
