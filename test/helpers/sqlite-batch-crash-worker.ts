/**
 * test/helpers/crash-worker.ts on SQLite, killed (SIGKILL) once at the worst moment of a group
 * commit: every statement of a checkpoint batch holding two or more events' writes has run in
 * its IMMEDIATE transaction, and the COMMIT has not. Env as crash-worker.ts, plus
 * WEBPIG_BATCH_CRASH_MARKER (a file: created, then the kill; a process that finds it existing
 * is not killed).
 *
 * The hook is SqliteContext.immediate, the one way the store opens a write transaction: the
 * kill comes from inside the transaction's function, after `writeCheckpoints` applied every
 * write of the batch (its per-write results are what the function returns).
 */
import { writeFileSync } from 'node:fs';
import { SqliteContext } from '../../src/store/sqlite/connection.js';

const marker = process.env.WEBPIG_BATCH_CRASH_MARKER ?? '';
const immediate = SqliteContext.prototype.immediate;

function isCheckpointBatch(result: unknown): boolean {
  return Array.isArray(result) && result.length >= 2 && result.every((r) => typeof r === 'object' && r !== null && 'ok' in r);
}

function firstKill(): boolean {
  try {
    writeFileSync(marker, 'between a batch write and its commit', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

SqliteContext.prototype.immediate = function <T>(this: SqliteContext, work: () => T): T {
  return immediate.call(this, () => {
    const result = work();
    if (marker && isCheckpointBatch(result) && firstKill()) process.kill(process.pid, 'SIGKILL');
    return result;
  }) as T;
};

await import('./crash-worker.js');
