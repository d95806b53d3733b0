/**
 * test/helpers/crash-worker.ts on PostgreSQL, killed (SIGKILL) once at the worst moment of a
 * group commit: every statement of a checkpoint batch holding two or more events' writes has
 * run, and its COMMIT has not been sent. Env as crash-worker.ts, plus WEBPIG_BATCH_CRASH_MARKER
 * (a file: created, then the kill; a process that finds it existing is not killed).
 *
 * The hook is node-postgres's own `Client.query`, the call every store statement goes through.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const marker = process.env.WEBPIG_BATCH_CRASH_MARKER ?? '';
const writesInTransaction = new WeakMap<object, number>();
type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const query = pg.Client.prototype.query as unknown as Query;

function firstKill(): boolean {
  try {
    writeFileSync(marker, 'between a batch write and its commit', { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

(pg.Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
  if (text === 'BEGIN') writesInTransaction.set(this, 0);
  // A batch in bulk locks all its events in one statement; one by one, each write has a savepoint.
  if (text?.startsWith('SELECT * FROM events WHERE id = ANY(') && text.includes('FOR UPDATE')) {
    const ids = (Array.isArray(args[1]) ? args[1][0] : undefined) as unknown[] | undefined;
    writesInTransaction.set(this, ids?.length ?? 0);
  }
  if (text === 'SAVEPOINT checkpoint_write') writesInTransaction.set(this, (writesInTransaction.get(this) ?? 0) + 1);
  if (text === 'COMMIT' && marker && (writesInTransaction.get(this) ?? 0) >= 2 && firstKill()) {
    process.kill(process.pid, 'SIGKILL');
  }
  return query.apply(this, args);
};

await import('./crash-worker.js');
