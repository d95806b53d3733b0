import pg from 'pg';
import { StoreError } from '../../core/errors.js';
import type { EventRecord } from '../../core/types.js';
import { assertLeaseMs } from '../lease-ms.js';
import type { ClaimOptions } from '../store.js';
import { type EventRow, eventColumns, toEvent } from './rows.js';

/*
 * The claim in ONE round trip: `webpig_claim_events` (migration 0013) called in autocommit.
 * It runs the statements of claims.ts's in-transaction claim (candidates with SKIP LOCKED, the
 * entity locks, the re-check in a new statement, one UPDATE) as one transaction, unflushed,
 * with no BEGIN, SET LOCAL or COMMIT round trips of its own: an idle worker's claim was four
 * round trips, a third of receipt → first stage. ARCHITECTURE.md, "Claims in one call".
 */

/**
 * Prepared once per connection (named): its parse and plan are saved on every claim. The
 * event's fields are listed (rows.ts, eventColumns), not `(c.event).*`: a `*` would fail every
 * call with "cached plan must not change result type", for the rest of the connection, once a
 * migration adds a column to events under a running worker.
 */
const CLAIM = {
  name: 'webpig_claim_events',
  text: `SELECT c.n, ${eventColumns('c.event')} FROM webpig_claim_events($1::text[], $2::timestamptz, $3::timestamptz) AS c`,
};

/** Up to one claim per owner, in the owners' order (event i is owners[i]'s), in one transaction of its own. */
export async function claimEventsInOneCall(
  pool: pg.Pool,
  options: Omit<ClaimOptions, 'workerId'> & { workerIds: string[] },
): Promise<EventRecord[]> {
  assertLeaseMs(options.leaseMs);
  if (options.workerIds.length === 0) return [];
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
  let result: pg.QueryResult<EventRow & { n: number }>;
  try {
    result = await pool.query<EventRow & { n: number }>({ ...CLAIM, values: [options.workerIds, options.now, leaseUntil] });
  } catch (err) {
    if (err instanceof pg.DatabaseError && err.code === 'WP002') throw new StoreError('CLAIM_FAILED', err.message, { cause: err });
    throw err;
  }
  return result.rows.sort((a, b) => a.n - b.n).map((row) => toEvent(row));
}
