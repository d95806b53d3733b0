/**
 * test/helpers/crash-worker.ts on SQLite, killed (SIGKILL) once in the window the fsync off the
 * event loop opens: a checkpoint batch holding two or more events' writes has COMMITTED (with
 * synchronous=NORMAL: in the WAL, visible), and its WAL fsync has not run, so no run was told
 * its write happened. Env as sqlite-batch-crash-worker.ts (WEBPIG_BATCH_CRASH_MARKER).
 *
 * The hook is SqliteContext.unsyncedCommit, through which every off-loop commit goes: the kill
 * comes right after the transaction inside it returned, before immediateSyncedOffLoop asks
 * WalSync for the fsync.
 */
import { writeFileSync } from 'node:fs';
import { SqliteContext } from '../../src/store/sqlite/connection.js';

const marker = process.env.WEBPIG_BATCH_CRASH_MARKER ?? '';
const unsyncedCommit = SqliteContext.prototype.unsyncedCommit;

function isCheckpointBatch(result: unknown): boolean {
  return Array.isArray(result) && result.length >= 2 && result.every((r) => typeof r === 'object' && r !== null && 'ok' in r);
}

function firstKill(): boolean {
  try {
    writeFileSync(marker, 'between a batch commit and its fsync', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

SqliteContext.prototype.unsyncedCommit = function <T>(this: SqliteContext, work: () => T): T {
  const result = unsyncedCommit.call(this, work) as T;
  if (marker && !this.db.inTransaction && isCheckpointBatch(result) && firstKill()) process.kill(process.pid, 'SIGKILL');
  return result;
};

await import('./crash-worker.js');
