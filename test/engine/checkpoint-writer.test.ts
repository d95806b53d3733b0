/**
 * The worker's group commit (src/engine/checkpoint-writer.ts) on a real SQLite store: an idle
 * writer sends a write at once (not even a turn of the event loop later: an idle worker's
 * first `processing` mark waits for nothing), and the writes of runs resuming together after
 * a batch still go together in one transaction.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointWriter } from '../../src/engine/checkpoint-writer.js';
import type { CheckpointWrite, Store } from '../../src/store/store.js';
import { insert, memoryStore, MINUTE, T0 } from '../helpers/engine-fixtures.js';

/** The store, with each writeCheckpoints call's size noted as it is made. */
function countingWrites(store: Store): { store: Store; calls: number[] } {
  const calls: number[] = [];
  const counted = Object.create(store) as Store;
  counted.writeCheckpoints = (writes) => {
    calls.push(writes.length);
    return store.writeCheckpoints(writes);
  };
  return { store: counted, calls };
}

const mark = (eventId: number, leaseOwner: string, stage: string): CheckpointWrite => ({
  eventId,
  leaseOwner,
  outcomes: [],
  start: { eventId, stage, leaseOwner, attempt: 1, startedAt: new Date(T0 + 1000) },
});

describe('CheckpointWriter', () => {
  it("sends an idle writer's write at once; writes made as a batch settles go together in the next", async () => {
    const sqlite = await memoryStore();
    try {
      const ids = [await insert(sqlite), await insert(sqlite), await insert(sqlite), await insert(sqlite)];
      const owners = ids.map((_, i) => `w#${i}`);
      await sqlite.claimNextEvents({ workerIds: owners, leaseMs: MINUTE, now: new Date(T0) });
      const { store, calls } = countingWrites(sqlite);
      const writer = new CheckpointWriter(store);

      const first = writer.write(mark(ids[0]!, owners[0]!, 's1'));
      assert.deepEqual(calls, [1], 'the idle writer called the store before write() returned');
      await first;
      // Three runs resume in the turn the first batch settled and write: one transaction.
      await Promise.all(ids.slice(1).map((id, i) => writer.write(mark(id, owners[i + 1]!, 's1'))));
      assert.deepEqual(calls, [1, 3]);
      for (const id of ids)
        assert.deepEqual(
          (await sqlite.getCheckpoints(id)).map((c) => c.status),
          ['processing'],
        );
    } finally {
      await sqlite.close();
    }
  });
});
