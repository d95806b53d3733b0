/**
 * `webpig reconcile --source NAME [--since 24h] [--dry-run]`: list the provider's own records
 * of the window and create the events whose webhooks never arrived (docs/reconcile.md).
 * With only `--db` (no config), a database the demo runs on tells where its sandbox is.
 * Deps: see cli-deps.ts.
 */
import type { Command } from 'commander';
import { parseDuration, DURATION_HINT } from '../../core/duration.js';
import { reconcileSource, type ReconcileResult } from '../../engine/reconcile.js';
import { providerListFor } from '../../engine/reconcile-lists.js';
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
    .requiredOption('--source <name>', 'the source to reconcile (stripe, mercadopago, or a configured source of those kinds)')
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
          const result = await reconcileSource({
            store,
            source: opts.source,
            list,
            since: new Date(Date.now() - sinceMs),
            dryRun: opts.dryRun ?? false,
          });
          for (const line of report(result, opts.dryRun ?? false)) console.log(line);
        },
      );
    });
}

function report(result: ReconcileResult, dryRun: boolean): string[] {
  const lines: string[] = [];
  if (result.resumed) {
    const page = result.resumed.cursor === null ? 'its first page' : `page ${result.resumed.cursor}`;
    lines.push(`resumed the run that stopped at ${page} (its window since ${result.resumed.since.toISOString()})`);
  }
  lines.push(
    `${result.provider} listed ${result.listed} since ${result.since.toISOString()}; ${result.missing.length} never reached webpig`,
  );
  for (const item of result.missing) {
    const created = result.created.find((event) => event.providerEventId === item.providerEventId);
    const outcome = dryRun ? 'would be created' : created ? `created as event ${created.id}` : 'arrived meanwhile (duplicate)';
    lines.push(`  ${item.providerEventId} ${item.type}: ${outcome}`);
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
