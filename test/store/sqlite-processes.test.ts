import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { sqliteMigrations } from '../../src/store/sqlite/migrate.js';
import { tempDatabaseDir } from '../helpers/sqlite.js';
import { cleanEnv } from '../helpers/clean-env.js';

const ALL = sqliteMigrations().map((m) => m.name);

const CHILD = fileURLToPath(new URL('../helpers/sqlite-child.ts', import.meta.url));

/** Runs the child script in its own node process and parses the JSON line it prints. */
function runChild<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`child ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout.trim()) as T);
    });
  });
}

describe('SqliteStore across processes', () => {
  it('several processes migrating one empty file at once apply each migration exactly once', { timeout: 60_000 }, async () => {
    const temp = tempDatabaseDir();
    try {
      const file = join(temp.dir, 'race.db');
      const results = await Promise.all(Array.from({ length: 6 }, () => runChild<{ applied: string[]; current: number }>('migrate', file)));
      assert.deepEqual(results.flatMap((r) => r.applied).sort(), ALL, 'each migration applied by exactly one process');
      assert.ok(results.every((r) => r.current === ALL.length));
      const store = SqliteStore.open(`sqlite:${file}`);
      assert.deepEqual(
        store.database.prepare('SELECT version, name FROM webpig_migrations ORDER BY version').all(),
        ALL.map((name, i) => ({ version: i + 1, name })),
      );
      await store.close();
    } finally {
      temp.remove();
    }
  });

  it('workers in several processes draining one inbox never hold the same event', { timeout: 120_000 }, async () => {
    const temp = tempDatabaseDir();
    try {
      const file = join(temp.dir, 'drain.db');
      const store = SqliteStore.open(`sqlite:${file}`);
      await store.migrate();
      const past = new Date(Date.now() - 60_000);
      const inserted = await store.insertEvents(
        Array.from({ length: 300 }, (_, i) => ({
          source: 'epayco',
          providerEventId: `race-${i}`,
          // A third of the events share a few entities, so the per-entity rule is exercised too.
          entityKey: i % 3 === 0 ? `order:${i % 5}` : null,
          type: 'payment.updated',
          transactionStatus: 'accepted' as const,
          occurredAt: new Date(past.getTime() + i),
          receivedAt: past,
          rawBody: Buffer.from(`{"i":${i}}`),
          contentType: 'application/json',
          payload: { i },
          summary: {},
        })),
      );
      const results = await Promise.all(Array.from({ length: 4 }, (_, i) => runChild<{ claimed: number[] }>('drain', file, `worker-${i}`)));
      const all = results.flatMap((r) => r.claimed);
      assert.equal(new Set(all).size, all.length, 'no event was claimed twice');
      assert.deepEqual(
        [...all].sort((a, b) => a - b),
        inserted.map((r) => r.event.id),
      );
      // Per entity, claims happened in occurrence order (ids ascend with occurrence here).
      const entityOf = new Map(inserted.map((r) => [r.event.id, r.event.entityKey]));
      const claimOrder: number[] = [];
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = await store.listAudit({ action: 'test.claimed' }, { limit: 500, cursor });
        claimOrder.push(...page.items.map((entry) => Number(entry.target)));
        cursor = page.nextCursor;
      }
      claimOrder.reverse();
      assert.equal(claimOrder.length, 300);
      const lastOfEntity = new Map<string, number>();
      for (const id of claimOrder) {
        const entity = entityOf.get(id);
        if (entity === null || entity === undefined) continue;
        assert.ok((lastOfEntity.get(entity) ?? 0) < id, `entity ${entity}: event ${id} claimed after a later one`);
        lastOfEntity.set(entity, id);
      }
      const attempts = store.database.prepare("SELECT count(*) AS n FROM events WHERE attempts <> 1 OR status <> 'succeeded'").get() as {
        n: number;
      };
      assert.equal(attempts.n, 0, 'every event was attempted exactly once and succeeded');
      await store.close();
    } finally {
      temp.remove();
    }
  });

  it(
    'a process killed (SIGKILL) while storing batches loses no acknowledged batch and leaves no partial one',
    { timeout: 120_000 },
    async () => {
      const temp = tempDatabaseDir();
      try {
        const file = join(temp.dir, 'crash.db');
        const setup = SqliteStore.open(`sqlite:${file}`);
        await setup.migrate();
        await setup.close();

        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'ingest', file], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: cleanEnv(),
        });
        let acknowledged = 0;
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
        await new Promise<void>((resolve, reject) => {
          let buffered = '';
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop() ?? '';
            for (const line of lines) acknowledged = Math.max(acknowledged, Number(line.replace('stored ', '')));
            // Killed at an arbitrary point in a later batch, not between batches on purpose.
            if (acknowledged >= 1_000) {
              child.kill('SIGKILL');
              resolve();
            }
          });
          child.on('exit', () => reject(new Error(`the ingest child stopped by itself: ${stderr}`)));
        });
        assert.equal(await exited, 'SIGKILL');

        const store = SqliteStore.open(`sqlite:${file}`);
        assert.equal(store.database.pragma('integrity_check', { simple: true }), 'ok');
        const stored = await store.countEvents({});
        assert.ok(stored >= acknowledged, `every acknowledged delivery is there (${stored} >= ${acknowledged})`);
        assert.equal(stored % 100, 0, 'batches are all or nothing');
        await store.close();
      } finally {
        temp.remove();
      }
    },
  );
});
