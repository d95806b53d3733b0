/**
 * Issue 17 item 3: PostgreSQL drops connections (a failover, an idle-session timeout, an
 * operator's pg_terminate_backend). A real `webpig serve` and two `webpig worker` processes
 * take a stream of signed deliveries while the test keeps terminating their backends — only
 * theirs, found by the application_name the test puts in their database URL. No process may
 * exit; every acknowledged delivery is stored; every event finishes; each effect happens once.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresSkip, postgresUrl, queryIn, withTestSchema } from '../helpers/postgres.js';
import { deliverUntilAcknowledged, makeServiceDir, startServiceProcess, type ServiceProcess } from '../helpers/service-processes.js';
import { runCli } from '../helpers/cli.js';

const DELIVERIES = 300;
const SENDERS = 6;
const KILL_EVERY_MS = 150;

describe('PostgreSQL connections terminated under traffic', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();

  it('serve + 2 workers stay alive, nothing acknowledged is lost, every event finishes once', { timeout: 240_000 }, async () => {
    const { schema } = await schemas.create();
    const appName = `webpig_kill_${schema}`.slice(0, 63);
    const db = `${postgresUrl()}?schema=${schema}&application_name=${appName}`;
    const service = makeServiceDir({ leaseMs: 2000 });
    const migrated = runCli(['--db', db, 'migrate'], { cwd: service.dir });
    assert.equal(migrated.status, 0, migrated.stderr);
    const procs: ServiceProcess[] = [
      startServiceProcess('serve', service.dir, db, ['serve', '--port', '0']),
      startServiceProcess('worker-1', service.dir, db, ['worker', '--concurrency', '4']),
      startServiceProcess('worker-2', service.dir, db, ['worker', '--concurrency', '4']),
    ];
    let killed = 0;
    let killing = true;
    // Kills start once every process is up (a process that cannot connect at start exits by design).
    const baseUrl = await procs[0]!.url;
    while (true) {
      const [row] = await queryIn<{ n: number }>(
        schema,
        'SELECT count(DISTINCT client_port)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [appName],
      );
      if ((row?.n ?? 0) >= 5) break; // serve's pool, and each worker's pool and LISTEN connection
      await sleep(50);
    }
    const killer = (async () => {
      while (killing) {
        await sleep(KILL_EVERY_MS);
        const rows = await queryIn<{ ok: boolean }>(
          schema,
          'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
          [appName],
        ).catch(() => []);
        killed += rows.filter((r) => r.ok).length;
      }
    })();
    try {
      const assertAlive = (): void =>
        assert.deepEqual(
          procs.filter((p) => p.exited !== null).map((p) => `${p.name} exited ${JSON.stringify(p.exited)}:\n${p.output().slice(-1500)}`),
          [],
          'no process exited',
        );
      const acknowledged: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: SENDERS }, async () => {
          while (next < DELIVERIES) {
            const id = `kill-${next++}`;
            await deliverUntilAcknowledged(baseUrl, id, { retryMs: 20, maxAttempts: 500 });
            acknowledged.push(id);
          }
        }),
      ).catch((err: unknown) => {
        assertAlive();
        throw err;
      });
      // Keep killing while the workers drain the queue, then let them finish in peace.
      const drainUntil = Date.now() + 3000;
      while (Date.now() < drainUntil) await sleep(100);
      killing = false;
      await killer;
      let statuses: Record<string, number> = {};
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const rows = await queryIn<{ status: string; n: number }>(schema, 'SELECT status, count(*)::int AS n FROM events GROUP BY status');
        statuses = Object.fromEntries(rows.map((r) => [r.status, r.n]));
        if ((statuses.succeeded ?? 0) >= acknowledged.length) break;
        await sleep(250);
      }
      assertAlive();
      assert.ok(killed >= 20, `the test terminated backends (${killed})`);
      const stored = await queryIn<{ provider_event_id: string }>(schema, 'SELECT provider_event_id FROM events');
      const storedIds = new Set(stored.map((r) => r.provider_event_id));
      assert.deepEqual(
        acknowledged.filter((id) => !storedIds.has(id)),
        [],
        'every acknowledged delivery is stored',
      );
      assert.equal(stored.length, DELIVERIES, 'each delivery stored once');
      assert.deepEqual(statuses, { succeeded: DELIVERIES }, 'every event finished');
      assert.equal(service.effects().length, DELIVERIES, 'one effect per event, none twice');
      console.log(`${killed} backends terminated; ${DELIVERIES} acknowledged, ${stored.length} stored, ${statuses.succeeded} succeeded`);
    } finally {
      killing = false;
      await killer;
      await Promise.all(procs.map((p) => p.stop()));
      rmSync(service.dir, { recursive: true, force: true });
    }
  });
});
