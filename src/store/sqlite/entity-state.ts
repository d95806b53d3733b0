import type { EntityState } from '../../core/types.js';
import type { EntityTransition } from '../store.js';
import type { SqliteContext } from './connection.js';
import { toDate, toMs } from './rows.js';

/** Entity state: each entity's last applied state, moved by compare-and-set. */

interface EntityStateRow {
  entity_key: string;
  state: string;
  event_id: number;
  occurred_at: number;
  updated_at: number;
}

export function getEntityState(ctx: SqliteContext, entityKey: string): EntityState | null {
  const row = ctx.get<EntityStateRow>(
    'SELECT entity_key, state, event_id, occurred_at, updated_at FROM entity_states WHERE entity_key = ?',
    entityKey,
  );
  if (row === undefined) return null;
  return {
    entityKey: row.entity_key,
    state: row.state,
    eventId: row.event_id,
    occurredAt: toDate(row.occurred_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Committed with its fsync off the event loop: the worker's gate writes it for every keyed event. */
export async function setEntityState(ctx: SqliteContext, transition: EntityTransition): Promise<boolean> {
  const params = {
    entity_key: transition.entityKey,
    state: transition.state,
    event_id: transition.eventId,
    occurred_at: toMs(transition.occurredAt),
    now: toMs(transition.now),
    expected: transition.expectedState,
  };
  const result = await ctx.immediateSyncedOffLoop(() =>
    transition.expectedState === null
      ? ctx.run(
          `INSERT INTO entity_states (entity_key, state, event_id, occurred_at, updated_at)
            VALUES (@entity_key, @state, @event_id, @occurred_at, @now)
            ON CONFLICT (entity_key) DO NOTHING`,
          params,
        )
      : ctx.run(
          `UPDATE entity_states SET state = @state, event_id = @event_id, occurred_at = @occurred_at, updated_at = @now
            WHERE entity_key = @entity_key AND state = @expected`,
          params,
        ),
  );
  return result.changes === 1;
}
