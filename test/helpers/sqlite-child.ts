/**
 * A separate process working on one SQLite file, for tests of what happens between
 * processes (the only real concurrency SQLite has). Usage:
 *   node --import tsx test/helpers/sqlite-child.ts migrate <file>
 *   node --import tsx test/helpers/sqlite-child.ts drain <file> <workerId>
 *   node --import tsx test/helpers/sqlite-child.ts ingest <file>
 *   node --import tsx test/helpers/sqlite-child.ts insert-and-die <file> <customer name>
 * Prints one JSON line with its result; `ingest` prints `stored <n>` after each committed
 * batch of 100 and runs until it is killed. `insert-and-die` stores one event in a migrated file,
 * prints its id and kills itself with SIGKILL at once: before its search indexer has run (0012).
 */
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const [mode, file, workerId = 'child'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: sqlite-child.ts migrate|drain <file> [workerId]');
const store = SqliteStore.open(`sqlite:${file}`);

if (mode === 'migrate') {
  console.log(JSON.stringify(await store.migrate()));
} else if (mode === 'drain') {
  // Claims and finishes events until none is runnable; reports the ids it held.
  const claimed: number[] = [];
  for (;;) {
    const now = new Date();
    const event = await store.claimNextEvent({ workerId, leaseMs: 600_000, now });
    if (event === null) break;
    claimed.push(event.id);
    // Written while the lease is held: the audit log's ids then give the order in which
    // events were claimed across all processes, for the per-entity ordering check.
    await store.appendAudit({ actor: workerId, action: 'test.claimed', target: String(event.id), at: now });
    await store.finishEvent({ eventId: event.id, leaseOwner: workerId, status: 'succeeded', now: new Date() });
  }
  console.log(JSON.stringify({ claimed }));
} else if (mode === 'ingest') {
  for (let batch = 0; ; batch++) {
    await store.insertEvents(
      Array.from({ length: 100 }, (_, i) => ({
        source: 'stripe',
        providerEventId: `crash-${batch}-${i}`,
        entityKey: null,
        type: 'charge.succeeded',
        transactionStatus: 'accepted' as const,
        occurredAt: new Date(),
        receivedAt: new Date(),
        rawBody: Buffer.alloc(2_000, 0x61),
        contentType: 'application/json',
        payload: { batch, i },
        summary: {},
      })),
    );
    process.stdout.write(`stored ${(batch + 1) * 100}\n`);
  }
} else if (mode === 'insert-and-die') {
  // The file is migrated already: migrate() would start an indexing pass of its own.
  const { event } = await store.insertEvent({
    source: 'epayco',
    providerEventId: `die-${process.pid}`,
    entityKey: null,
    type: 'payment.updated',
    transactionStatus: 'accepted',
    occurredAt: new Date(),
    receivedAt: new Date(),
    rawBody: Buffer.from('{}'),
    contentType: 'application/json',
    payload: {},
    summary: { customer: { name: workerId } },
  });
  // A pipe's write is synchronous on Linux: the line is out, then the process dies at once,
  // before the indexer's timer (set when the insert resolved) can fire.
  process.stdout.write(`${JSON.stringify({ id: event.id })}\n`);
  process.kill(process.pid, 'SIGKILL');
} else {
  throw new Error(`unknown mode ${mode}`);
}
await store.close();
