/**
 * test/helpers/crash-worker.ts on PostgreSQL, killed (SIGKILL) once at the worst moment of a
 * group commit: a checkpoint batch holding two or more events' writes has been sent and its
 * reply not read. The batch is ONE statement in autocommit (webpig_write_checkpoints), so there
 * is no moment between its writes and its COMMIT left to kill in; this is its equivalent, and
 * harder: the server may or may not have committed it, and the worker never learns which. Either
 * way nothing acknowledged is lost (no effect started before its mark was acknowledged) and no
 * effect doubles. Batches applied one by one (the refused-write fallback) are still killed
 * before their COMMIT. Env as crash-worker.ts, plus WEBPIG_BATCH_CRASH_MARKER (a file: created,
 * then the kill; a process that finds it existing is not killed).
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

/** The number of writes in a webpig_write_checkpoints call's batch document. */
function writesInBatch(values: unknown): number {
  const batch = Array.isArray(values) ? values[0] : undefined;
  if (typeof batch !== 'string') return 0;
  const writes = (JSON.parse(batch) as { writes?: unknown[] }).writes;
  return writes?.length ?? 0;
}

(pg.Client.prototype as unknown as { query: Query }).query = function (this: pg.Client, ...args: unknown[]): unknown {
  const first = args[0];
  // The call is a named statement (a config object with its text and values), the rest strings.
  const config = typeof first === 'string' ? undefined : (first as { text?: string; values?: unknown } | undefined);
  const text = typeof first === 'string' ? first : config?.text;
  if (text === 'BEGIN') writesInTransaction.set(this, 0);
  if (text?.includes('webpig_write_checkpoints(') && marker && writesInBatch(config ? config.values : args[1]) >= 2 && firstKill()) {
    const sent = query.apply(this, args);
    // The call is on the socket (node-postgres writes it synchronously); the reply is not read.
    process.kill(process.pid, 'SIGKILL');
    return sent;
  }
  // One by one (the fallback), each write has a savepoint.
  if (text === 'SAVEPOINT checkpoint_write') writesInTransaction.set(this, (writesInTransaction.get(this) ?? 0) + 1);
  if (text === 'COMMIT' && marker && (writesInTransaction.get(this) ?? 0) >= 2 && firstKill()) {
    process.kill(process.pid, 'SIGKILL');
  }
  return query.apply(this, args);
};

await import('./crash-worker.js');
