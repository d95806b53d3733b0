/**
 * `webpig purge [--dry-run] [--json]`: applies the config's `retention` now, as every worker
 * does periodically, and says how many rows of each kind it deleted (or, with --dry-run,
 * would delete, changing nothing). Dead, retrying, queued and processing events and the audit
 * log are never deleted. A real purge is itself audited.
 */
import type { Command } from 'commander';
import type { PurgeKind } from '../../store/store.js';
import { applyRetention, countDue, retentionCutoffs, retentionEnabled, type RetentionCounts } from '../../engine/retention.js';
import { cliFormats } from '../format.js';
import { cliActor, withStore, type EngineCliDeps } from './cli-deps.js';

const KIND_WORDS: Record<PurgeKind, string> = {
  succeededEvents: 'succeeded events',
  ignoredEvents: 'ignored events',
  rejectedDeliveries: 'rejected deliveries',
};

export function register(program: Command, deps: EngineCliDeps & { print(line: string): void }): void {
  program
    .command('purge')
    .description("delete what the config's retention says is old enough (finished events, rejected deliveries)")
    .option('--dry-run', 'only count what would be deleted; change nothing')
    .option('--json', 'print {dryRun, counts, before} as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const config = await deps.loadConfigForReading();
      const policy = config?.retention;
      if (!retentionEnabled(policy)) {
        if (opts.json) return deps.print(JSON.stringify({ dryRun: Boolean(opts.dryRun), counts: {}, before: {} }));
        deps.print(
          'retention is not configured, so nothing is ever deleted; set e.g. retention: { succeededAfterDays: 90 } in webpig.config.ts',
        );
        return;
      }
      const now = new Date();
      const cutoffs = retentionCutoffs(policy, now);
      const counts: RetentionCounts = await withStore(
        () => deps.openExistingStore({ writes: !opts.dryRun }),
        async (store) => {
          if (opts.dryRun) return countDue(store, policy, now);
          const deleted = await applyRetention(store, policy, now);
          await store.appendAudit({ actor: cliActor(), action: 'retention.purge', target: 'retention', details: { deleted }, at: now });
          return deleted;
        },
      );
      if (opts.json) return deps.print(JSON.stringify({ dryRun: Boolean(opts.dryRun), counts, before: cutoffs }));
      const formats = cliFormats(config);
      deps.print(opts.dryRun ? 'would delete (dry run: nothing was changed):' : 'deleted:');
      for (const [kind, n] of Object.entries(counts) as Array<[PurgeKind, number]>) {
        deps.print(`  ${String(n).padStart(8)} ${KIND_WORDS[kind]} (last changed before ${formats.time(cutoffs[kind] ?? null)})`);
      }
      deps.print('kept, whatever their age: dead, retrying, queued and processing events, and the audit log');
    });
}
