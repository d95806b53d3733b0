/**
 * `webpig reconcile --source NAME [--since 24h] [--dry-run]`: list the provider's own records
 * of the window and create the events whose webhooks never arrived (docs/reconcile.md).
 * With only `--db` (no config), a database the demo runs on tells where its sandbox is.
 * Ctrl-C or SIGTERM stops the run cleanly (see `stopOnSignals`). Deps: see cli-deps.ts.
 */
import type { Command } from 'commander';
import { parseDuration, DURATION_HINT } from '../../core/duration.js';
import { errorMessage } from '../../core/errors.js';
import { visibleText } from '../../core/visible-text.js';
import { reconcileSource, ReconcileStoppedError, type ReconcileResult } from '../../engine/reconcile.js';
import { runFailedAlertRaised } from '../../engine/reconcile-alerts.js';
import { providerListFor } from '../../engine/reconcile-lists.js';
import { ProviderApiError } from '../../sources/listing/provider-list.js';
import { CliFailure, InterruptedError } from '../errors.js';
import { UsageError, withStore, type EngineCliDeps } from './cli-deps.js';

interface ReconcileOptions {
  source: string;
  since?: string;
  dryRun?: boolean;
}

/** Ids of undelivered events printed; the rest are counted. */
const SHOWN_UNDELIVERED = 10;

/** (Default window: the config's lookBack, else 24 hours) */
const DEFAULT_SINCE = '24h';

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('reconcile')
    .description("create the events whose webhooks never arrived, from the provider's own records")
    .requiredOption(
      '--source <name>',
      'the source to reconcile: stripe, mercadopago, epayco (the references in reconcile.<source>.references), or a configured source of those kinds',
    )
    .option('--since <duration>', `how far back to list, ${DURATION_HINT} (default: the config's lookBack, else ${DEFAULT_SINCE})`)
    .option('--dry-run', 'list and compare only: print what is missing, create and record nothing')
    .action(async (opts: ReconcileOptions) => {
      const config = await deps.loadConfigForReading();
      const settings = config?.reconcile?.[opts.source];
      const sinceText = opts.since ?? settings?.lookBack ?? DEFAULT_SINCE;
      const sinceMs = parseDuration(sinceText);
      if (sinceMs === null) throw new UsageError(`--since must be ${DURATION_HINT}, got "${sinceText}"`);
      // The database records where the provider's API is, and a run resumes from it: a
      // mistyped --db is an error, not a new database (said first, before the config's).
      await withStore(
        () => deps.openExistingStore({ writes: !opts.dryRun }),
        async (store) => {
          // The kind of a source the file names comes from the whole config: a secret it reads
          // that is not set is that config's error, said as such (ignoring it made a configured
          // source "not configured"). Without a file, a provider's own name (stripe…) is its kind.
          const full = await deps.loadConfigIfAny?.();
          const sourceConfig = full?.sources.find((s) => s.name === opts.source);
          const kind = sourceConfig?.kind ?? null;
          const recorded = await store.getReconciliationState(opts.source);
          const list = providerListFor({
            source: opts.source,
            kind,
            settings,
            recordedApiBaseUrl: recorded?.apiBaseUrl ?? null,
            env: process.env,
            ...(sourceConfig ? { sourceConfig } : {}),
            ...(full ? { reconcilable: full.sources.filter((s) => s.kind !== 'custom').map((s) => s.name) } : {}),
          });
          const dryRun = opts.dryRun ?? false;
          const stop = stopOnSignals();
          let result: ReconcileResult;
          try {
            result = await reconcileSource({
              store,
              source: opts.source,
              list,
              since: new Date(Date.now() - sinceMs),
              dryRun,
              signal: stop.signal,
              // A provider failing makes the run wait up to half a minute between tries: said, so it is not taken for a hang.
              onRetry: ({ error, waitMs }) =>
                process.stderr.write(
                  `webpig: ${visibleText(error)}; trying again in ${Math.ceil(waitMs / 1000)} s (Ctrl-C stops the run here)\n`,
                ),
            });
          } catch (err) {
            const received = stop.received();
            // Stopped midway: the operator running it is told what the alert tells everyone else.
            if (runFailedAlertRaised(err)) {
              const again =
                err instanceof ProviderApiError && !err.retriable ? 'once that is fixed, run this command again' : 'run this command again';
              throw new CliFailure(
                'RECONCILE_FAILED',
                `${errorMessage(err)} — the run stopped before the end of its window, so an alert is open until a run of ` +
                  `${opts.source} completes: ${again}, it resumes where this one stopped`,
                { cause: err },
              );
            }
            if (received === null || !(err instanceof ReconcileStoppedError)) throw err;
            throw new InterruptedError(
              received,
              dryRun
                ? `${received} received: the dry run stopped; nothing was created or recorded`
                : `${received} received: the run for ${opts.source} stopped at the end of a page and released the source; ` +
                    'the events it created are kept, and the next run resumes where it stopped',
              { cause: err },
            );
          } finally {
            stop.dispose();
          }
          for (const line of report(result, dryRun)) console.log(line);
          const late = stop.received();
          // The signal came after the last page: the window was listed whole (and, unless a dry
          // run, its events created and the run recorded as finished). The run completed, so the
          // exit is 0 — a non-zero one would send a script to run again what is already done.
          if (late !== null) {
            const done = dryRun ? 'the dry run had listed its whole window' : 'the run had listed its whole window and recorded it';
            process.stderr.write(`webpig: ${late} received as the run was ending: ${done}, so it completed\n`);
          }
        },
      );
    });
}

/**
 * Ctrl-C or SIGTERM aborts the run: it stops at the end of the page it is on (a request in
 * flight or a backoff's wait is cut), records where it got to and releases its claim on the
 * source, so the next run — the worker's or yours — starts at once and resumes there. A second
 * signal exits at once (the next command on this machine takes the dead run's claim over).
 */
function stopOnSignals(): { signal: AbortSignal; received: () => NodeJS.Signals | null; dispose: () => void } {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (received !== null) {
      process.stderr.write(`webpig: ${signal} received again, exiting at once\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    received = signal;
    process.stderr.write(`\nwebpig: ${signal} received, stopping the run at the end of its page (send it again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

function report(result: ReconcileResult, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (result.resumed) {
    const page = result.resumed.cursor === null ? 'its first page' : `page ${result.resumed.cursor}`;
    lines.push(`resumed the run that stopped at ${page} (its window since ${result.resumed.since.toISOString()})`);
  }
  if (result.cut) {
    const days = Math.round(result.cut.reachesBackMs / 86_400_000);
    lines.push(
      `${result.provider} keeps its list ${days} days: listing since ${result.since.toISOString()}, not ${result.cut.asked.toISOString()} as asked (a webhook lost before then cannot be found)`,
    );
  }
  lines.push(
    `${result.provider} listed ${result.listed} since ${result.since.toISOString()}; ${result.missing.length} never reached webpig`,
  );
  for (const item of result.missing) {
    const created = result.created.find((event) => event.providerEventId === item.providerEventId);
    const outcome = dryRun ? 'would be created' : created ? `created as event ${created.id}` : 'arrived meanwhile (duplicate)';
    lines.push(`  ${visibleText(item.providerEventId)} ${visibleText(item.type)}: ${outcome}`);
  }
  if (result.undelivered && result.undelivered.length > 0) {
    const shown = result.undelivered.slice(0, SHOWN_UNDELIVERED).join(', ');
    const more = result.undelivered.length > SHOWN_UNDELIVERED ? ` and ${result.undelivered.length - SHOWN_UNDELIVERED} more` : '';
    lines.push(`${result.provider} reports ${result.undelivered.length} not delivered: ${shown}${more}`);
  }
  if (result.undeliveredError) lines.push(`${result.provider}'s list of undelivered events could not be read: ${result.undeliveredError}`);
  lines.push(dryRun ? 'dry run: nothing was created or recorded' : `${result.created.length} events created`);
  return lines;
}
