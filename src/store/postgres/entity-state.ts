import type { EntityState } from '../../core/types.js';
import type { EntityTransition } from '../store.js';
import type { Queryable } from './connection.js';
import { type EntityStateRow, toEntityState } from './rows.js';

/** Entity state: each entity's last applied state, moved by compare-and-set. */

export async function getEntityState(db: Queryable, entityKey: string): Promise<EntityState | null> {
  const result = await db.query<EntityStateRow>('SELECT * FROM entity_states WHERE entity_key = $1', [entityKey]);
  const row = result.rows[0];
  return row ? toEntityState(row) : null;
}

/** Compare-and-set in one statement, so two workers racing on one entity cannot both win. */
export async function setEntityState(db: Queryable, t: EntityTransition): Promise<boolean> {
  const values = [t.entityKey, t.state, t.eventId, t.occurredAt, t.now];
  const result =
    t.expectedState === null
      ? await db.query(
          `INSERT INTO entity_states (entity_key, state, event_id, occurred_at, updated_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (entity_key) DO NOTHING`,
          values,
        )
      : await db.query(
          `UPDATE entity_states SET state = $2, event_id = $3, occurred_at = $4, updated_at = $5
           WHERE entity_key = $1 AND state = $6`,
          [...values, t.expectedState],
        );
  return result.rowCount === 1;
}
