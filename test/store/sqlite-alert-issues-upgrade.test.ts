/**
 * Migration 0008 on a SQLite file a version-6 webpig wrote: open duplicates (a retried alert per
 * manual retry, a dead one) fold into one issue per kind and subject with their count and first
 * time; resolved alerts stay as they were and their resolution is not announced now; an opening
 * never forwarded is still forwarded; the next repeat counts on the folded issue.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteAtVersion, tempDatabaseDir } from '../helpers/sqlite.js';

describe('SQLite: upgrading alerts to issues (0008)', () => {
  it('folds open duplicates, keeps history quiet, keeps unsent openings due', async () => {
    const temp = tempDatabaseDir('webpig-alert-issues-');
    try {
      const file = join(temp.dir, 'v6.db');
      const old = sqliteAtVersion(file, 6);
      const insert = old.db.prepare(
        `INSERT INTO alerts (at, kind, event_id, stage, message, resolved_at, forwarded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      );
      const id = (...values: (string | number | null)[]) => (insert.get(...values) as { id: number }).id;
      id(1_000, 'retried', 5, null, 'event 5 was retried by hand 2 times', null, 1_001);
      id(2_000, 'retried', 5, null, 'event 5 was retried by hand 3 times', null, 2_001);
      const newest = id(3_000, 'retried', 5, null, 'event 5 was retried by hand 4 times', null, null);
      const resolved = id(500, 'dead', 5, 'dian', 'event 5 is dead', 900, 600);
      const unsent = id(4_000, 'dead', 6, 'dian', 'event 6 is dead', null, null);
      old.close();

      const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
      try {
        await store.migrate();
        const all = (await store.listAlerts()).items;
        assert.deepEqual(
          all.map((a) => [a.id, a.kind, a.subject, a.occurrences, a.at.getTime(), a.resolvedAt?.getTime() ?? null]),
          [
            [unsent, 'dead', 'event:6', 1, 4_000, null],
            [resolved, 'dead', 'event:5', 1, 500, 900],
            [newest, 'retried', 'event:5', 3, 1_000, null],
          ],
        );
        const due = await store.claimAlertsToForward({
          now: new Date(10_000),
          recordedSince: new Date(0),
          claimUntil: new Date(20_000),
          limit: 10,
        });
        assert.deepEqual(
          due.map((a) => [a.id, a.transition]),
          [
            [newest, 'opened'],
            [unsent, 'opened'],
          ],
          'openings never sent go out; a resolution from before the upgrade does not',
        );
        const again = await store.recordAlert({
          at: new Date(5_000),
          kind: 'retried',
          eventId: 5,
          message: 'event 5 was retried by hand 5 times',
        });
        assert.deepEqual([again.id, again.occurrences], [newest, 4]);
      } finally {
        await store.close();
      }
    } finally {
      temp.remove();
    }
  });
});
