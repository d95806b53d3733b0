import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { customBody, sendDelivery, signCustom, TEST_SECRETS, type SignedDelivery } from '../helpers/signing.js';
import { cleanEnv } from '../helpers/clean-env.js';

/**
 * Promise 1, "no webhook is lost": the server process is SIGKILLed in the middle of a burst of
 * deliveries. After a restart on the same database, every delivery that got a 200 is there.
 */

const SERVER_SCRIPT = fileURLToPath(new URL('../helpers/ingest-server.ts', import.meta.url));
const BURST = 400;
const IN_FLIGHT = 32;
const KILL_AFTER_ACKS = 60;
/**
 * Each group commit is held this long before it is written (the child's store hook). With it,
 * a server that acknowledged before committing would be killed with acknowledged deliveries
 * still unwritten, which this test then finds missing (tried: it fails that way).
 */
const COMMIT_DELAY_MS = 5;

interface RunningServer {
  child: ChildProcessWithoutNullStreams;
  baseUrl: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

async function startServer(dbFile: string): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_SCRIPT, dbFile, String(COMMIT_DELAY_MS)], {
    stdio: 'pipe',
    env: cleanEnv(),
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    void exited.then((how) => reject(new Error(`server exited (${String(how)}) before listening: ${stderr}`)));
  });
  return { child, baseUrl: `http://127.0.0.1:${port}`, exited };
}

describe('ingestion crash safety', () => {
  const temp = tempDatabaseDir('webpig-ingest-crash-');
  const dbFile = join(temp.dir, 'crash.db');
  let running: RunningServer | undefined;
  after(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    temp.remove();
  });

  it('every delivery acknowledged before a SIGKILL is in the store after restart', async () => {
    running = await startServer(dbFile);
    const deliveries: Array<{ id: string; signed: SignedDelivery }> = Array.from({ length: BURST }, (_, i) => {
      const id = `crash-${i}`;
      const signed = signCustom({
        secret: TEST_SECRETS.custom,
        body: customBody({ id, padToBytes: 1200 }),
        timestampHeader: 'x-webpig-timestamp',
      });
      return { id, signed };
    });

    const acked = new Map<string, number>();
    let failedAfterKill = 0;
    let killed = false;
    const server = running;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        try {
          const reply = await sendDelivery(server.baseUrl, 'shop', delivery.signed);
          if (reply.status === 200) acked.set(delivery.id, reply.body.id as number);
        } catch {
          failedAfterKill++; // the connection died with the process: not acknowledged
        }
        if (!killed && acked.size >= KILL_AFTER_ACKS) {
          killed = true;
          server.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    assert.equal(await server.exited, 'SIGKILL');
    assert.ok(acked.size >= KILL_AFTER_ACKS, 'the burst was acknowledged up to the kill');
    assert.ok(acked.size < BURST, 'the kill happened mid-burst');
    console.log(`crash test: ${acked.size} of ${BURST} deliveries acknowledged before SIGKILL, ${failedAfterKill} cut off`);

    // Restart on the same database: the acknowledged deliveries are all there, as duplicates.
    running = await startServer(dbFile);
    for (const [id, eventId] of acked) {
      const delivery = deliveries.find((d) => d.id === id)!;
      const reply = await sendDelivery(running.baseUrl, 'shop', delivery.signed);
      assert.deepEqual(reply.body, { id: eventId, status: 'duplicate' }, `delivery ${id} was acknowledged, so it must be stored`);
    }
    running.child.kill('SIGKILL');
    await running.exited;

    const store = SqliteStore.open(`sqlite:${dbFile}`);
    try {
      for (const [id, eventId] of acked) {
        const event = await store.findEventByProviderId('shop', id);
        assert.equal(event?.id, eventId, `acknowledged delivery ${id} is stored with the id it was given`);
      }
      assert.ok((await store.countEvents({ source: 'shop' })) >= acked.size);
    } finally {
      await store.close();
    }
  });
});
