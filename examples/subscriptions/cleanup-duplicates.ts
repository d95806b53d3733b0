/**
 * Cleans up the duplicate rows the report's old code left behind (one per click on "Continuar al
 * pago", each with its own `PG-SUB-<timestamp>-…` reference, and a webhook row beside them).
 * The new code makes no new ones; this merges the existing ones, per (user, plan), into one row.
 *
 *   node --import tsx examples/subscriptions/cleanup-duplicates.ts <app.db>           (dry run)
 *   node --import tsx examples/subscriptions/cleanup-duplicates.ts <app.db> --apply   (backup first)
 *
 * The row kept is the report's "most complete" one, in this order: active (then paused, then
 * pending); attached to a preapproval; with a product name and a price above 0; the newest. It
 * takes what it lacks (details, preapproval, last payment) from the rows removed. Cancelled rows
 * are history and stay. Two live rows attached to DIFFERENT preapprovals are two subscriptions
 * at MercadoPago, not duplicates: that group is left for a person to decide, and reported.
 */
import { pathToFileURL } from 'node:url';
import { SubscriptionStore, type SubscriptionRecord } from './subscription-store.js';

export interface DuplicateGroup {
  userId: string;
  planId: string;
  keep: SubscriptionRecord;
  remove: SubscriptionRecord[];
}

export interface CleanUpReport {
  groups: DuplicateGroup[];
  /** Groups with live rows on different preapprovals: not merged. */
  conflicts: { userId: string; planId: string; rows: SubscriptionRecord[] }[];
  applied: boolean;
}

const STATUS_RANK = { active: 0, paused: 1, pending: 2, cancelled: 3 } as const;

function completeness(row: SubscriptionRecord): number {
  return row.productName && row.basePrice && Number(row.basePrice) > 0 ? 0 : 1;
}

/** Best first: the report's "most complete" row. */
function byKeepPreference(a: SubscriptionRecord, b: SubscriptionRecord): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    Number(a.mercadopagoPreapprovalId === null) - Number(b.mercadopagoPreapprovalId === null) ||
    completeness(a) - completeness(b) ||
    b.id - a.id
  );
}

export function findDuplicates(store: SubscriptionStore): Omit<CleanUpReport, 'applied'> {
  const live = new Map<string, SubscriptionRecord[]>();
  for (const row of store.list()) {
    if (row.status === 'cancelled') continue;
    const key = `${row.userId}\n${row.planId}`;
    live.set(key, [...(live.get(key) ?? []), row]);
  }
  const groups: DuplicateGroup[] = [];
  const conflicts: CleanUpReport['conflicts'] = [];
  for (const rows of live.values()) {
    if (rows.length < 2) continue;
    const { userId, planId } = rows[0] as SubscriptionRecord;
    const preapprovals = new Set(rows.map((r) => r.mercadopagoPreapprovalId).filter((id) => id !== null));
    if (preapprovals.size > 1) {
      conflicts.push({ userId, planId, rows });
      continue;
    }
    const [keep, ...remove] = [...rows].sort(byKeepPreference) as [SubscriptionRecord, ...SubscriptionRecord[]];
    groups.push({ userId, planId, keep, remove });
  }
  return { groups, conflicts };
}

/** Finds the duplicates and, with `apply`, backs the file up and merges each group. */
export async function cleanUpDuplicates(
  store: SubscriptionStore,
  options: { apply: boolean; backupFile?: string; now?: Date },
): Promise<CleanUpReport> {
  const found = findDuplicates(store);
  if (!options.apply || found.groups.length === 0) return { ...found, applied: false };
  if (!options.backupFile) throw new Error('a backup file is required before merging rows');
  await store.backup(options.backupFile);
  const now = options.now ?? new Date();
  const groups = found.groups.map((g) => ({
    ...g,
    keep: store.mergeInto(
      g.keep.id,
      g.remove.map((r) => r.id),
      now,
    ),
  }));
  return { groups, conflicts: found.conflicts, applied: true };
}

async function main(argv: string[]): Promise<number> {
  const [file, flag] = argv;
  if (!file || (flag !== undefined && flag !== '--apply')) {
    process.stderr.write('usage: cleanup-duplicates.ts <app.db> [--apply]\n');
    return 2;
  }
  const store = new SubscriptionStore(file);
  try {
    const backupFile = `${file}.before-cleanup-${Date.now()}.db`;
    const report = await cleanUpDuplicates(store, { apply: flag === '--apply', backupFile });
    for (const g of report.groups) {
      process.stdout.write(
        `${g.userId} ${g.planId}: keep #${g.keep.id} (${g.keep.status}), ${report.applied ? 'removed' : 'would remove'} ${g.remove.map((r) => `#${r.id}`).join(', ')}\n`,
      );
    }
    for (const c of report.conflicts) {
      process.stdout.write(
        `${c.userId} ${c.planId}: NOT merged, live rows on different preapprovals: ${c.rows.map((r) => `#${r.id} ${r.mercadopagoPreapprovalId ?? '-'}`).join(', ')}\n`,
      );
    }
    process.stdout.write(
      `${report.groups.length} duplicate groups${report.applied ? ` merged (backup: ${backupFile})` : ' found (dry run; --apply to merge)'}, ${report.conflicts.length} left for a person\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
