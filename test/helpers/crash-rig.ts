/**
 * What the crash tests share: a SQLite file with the events to run, the effects server their
 * stages write to, the environment of test/helpers/crash-worker.ts armed at one failpoint, and
 * the count of effects at the end.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startEffectsServer, type EffectsServer } from './effects-server.js';
import { delivery } from './engine-fixtures.js';
import { runWorkerProcess, type WorkerExit } from './worker-process.js';

export interface CrashRig {
  /** The SQLite file the workers run. */
  db: string;
  /** The events inserted, in order. */
  ids: number[];
  effects: EffectsServer;
  /** crash-worker.ts's environment: this store, these effects, SIGKILL once at the failpoint. */
  env: Record<string, string>;
  /** The file the killed worker writes the failpoint's name to. */
  marker: string;
}

/**
 * Runs `test` against a fresh rig of `events` deliveries (provider ids `<idPrefix>-<i>`), then
 * closes the effects server and removes the folder (kept when a file named `keep` is put in it).
 */
export async function withCrashRig(
  options: { idPrefix: string; events: number; failpoint: string; env?: Record<string, string> },
  test: (rig: CrashRig) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-crash-'));
  const effects = await startEffectsServer();
  try {
    const db = join(dir, 'webpig.db');
    const store = SqliteStore.open(`sqlite:${db}`);
    await store.migrate();
    const ids: number[] = [];
    for (let i = 0; i < options.events; i++) {
      ids.push((await store.insertEvent(delivery({ providerEventId: `${options.idPrefix}-${i}` }))).event.id);
    }
    await store.close();
    const marker = join(dir, 'crashed');
    const env = {
      WEBPIG_DB: db,
      EFFECTS_URL: effects.url,
      WEBPIG_CRASH_AT: options.failpoint,
      WEBPIG_CRASH_MARKER: marker,
      ...options.env,
    };
    await test({ db, ids, effects, env, marker });
  } finally {
    await effects.close();
    if (!existsSync(join(dir, 'keep'))) rmSync(dir, { recursive: true, force: true });
  }
}

/** Restarts the worker after `exits` until one exits 0 (the queue empty), six processes at most. */
export async function runUntilFinished(env: Record<string, string>, exits: WorkerExit[] = []): Promise<WorkerExit[]> {
  do {
    exits.push(await runWorkerProcess(env));
  } while (exits.at(-1)?.code !== 0 && exits.length < 6);
  return exits;
}

/** Every effect of the crash pipeline's stages exists exactly once for each of the `events`. */
export function assertEachEffectOnce(effects: EffectsServer, events: number): void {
  for (const kind of ['invoice', 'cartera', 'whatsapp']) {
    const counts = effects.countsBy(kind);
    assert.equal(counts.size, events, `${kind}: one record per event`);
    assert.deepEqual([...counts.values()], Array(events).fill(1), `${kind}: no effect twice`);
  }
}
