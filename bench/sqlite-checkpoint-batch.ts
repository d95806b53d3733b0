/**
 * The SQLite store's checkpoint writes alone, without the engine: `node --import tsx
 * bench/sqlite-checkpoint-batch.ts [--events N] [--batch B]`.
 *
 * N events (Default: 2000) are inserted and claimed (not timed), then written as the worker
 * writes a 10-stage run: a first `processing` mark, nine outcome + next mark writes, and the
 * last outcome with the finish, B events' writes to a `writeCheckpoints` call (Default: 25,
 * about what the worker's batches hold at concurrency 32; 1 is a lone write, as at
 * concurrency 1). Printed: the process's CPU an event over those 11 calls an event (the WAL's
 * fsyncs included: the file is on /dev/shm when it exists, so they cost little and vary less).
 * Run it in two trees back to back to compare them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { CheckpointWrite } from '../src/store/store.js';
import { benchDeliveries } from './fixtures.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error('usage: bench/sqlite-checkpoint-batch.ts [--events N] [--batch B]');
    process.exit(2);
  }
  return value;
}
const events = arg('events', 2000);
const batch = arg('batch', 25);
const STAGES = 10;

const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'webpig-ckpt-'));
const store = SqliteStore.open(`sqlite:${join(dir, 'bench.db')}`);
try {
  await store.migrate();
  for (let i = 0; i < events; i += 1000) await store.insertEvents(benchDeliveries(Math.min(1000, events - i), `b${i}`));
  const t0 = Date.now();
  const at = (ms: number): Date => new Date(t0 + ms);
  const owners = new Map<number, string>();
  for (let i = 0; i < events; i += 32) {
    const workerIds = Array.from({ length: 32 }, (_, j) => `w${i + j}`);
    const claimed = await store.claimNextEvents({ workerIds, leaseMs: 3_600_000, now: at(0) });
    claimed.forEach((event, j) => owners.set(event.id, workerIds[j]!));
  }
  const ids = [...owners.keys()];
  const write = (id: number, k: number): CheckpointWrite => {
    const owner = owners.get(id)!;
    const outcomes: CheckpointWrite['outcomes'] =
      k === 0
        ? []
        : [
            {
              eventId: id,
              stage: `stage_${k}`,
              leaseOwner: owner,
              outcome: { status: 'success', data: { ok: true } },
              attempt: 1,
              startedAt: at(k),
              completedAt: at(k + 0.5),
            },
          ];
    return k < STAGES
      ? {
          eventId: id,
          leaseOwner: owner,
          outcomes,
          start: { eventId: id, stage: `stage_${k + 1}`, leaseOwner: owner, attempt: 1, startedAt: at(k + 1) },
        }
      : {
          eventId: id,
          leaseOwner: owner,
          outcomes,
          finish: { eventId: id, leaseOwner: owner, status: 'succeeded', pipeline: 'bench', now: at(k + 1) },
        };
  };
  const cpu = process.cpuUsage();
  for (let k = 0; k <= STAGES; k++) {
    for (let i = 0; i < ids.length; i += batch) {
      const results = await store.writeCheckpoints(ids.slice(i, i + batch).map((id) => write(id, k)));
      if (!results.every((result) => result.ok)) throw new Error('a checkpoint write was refused');
    }
  }
  const used = process.cpuUsage(cpu);
  const ms = (us: number): string => (us / 1000 / events).toFixed(3);
  console.log(
    `SQLite checkpoint writes, ${events} events × ${STAGES + 1} writes, ${batch} a call: CPU ${ms(used.user + used.system)} ms an event ` +
      `(user ${ms(used.user)}, system ${ms(used.system)})   (load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')})`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
