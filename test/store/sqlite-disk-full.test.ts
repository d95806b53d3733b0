/**
 * Issue 17 item 4: the SQLite volume fills up. Ingestion answers 503 while it is full (a
 * provider retries), acknowledges nothing it has not stored, answers 200 again by itself once
 * space comes back (no restart), and the WAL shrinks back instead of keeping the volume.
 * First in one process, then with `webpig serve` and `webpig worker` as separate processes.
 * Runs on an 8 MB tmpfs the test mounts: root only (CI runs as root); skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { runCli } from '../helpers/cli.js';
import { startIngestServer, type IngestServer } from '../helpers/ingest-server.js';
import { deliverOnce, deliverUntilAcknowledged, makeServiceDir, startServiceProcess } from '../helpers/service-processes.js';
import { customBody, signCustom, TEST_SECRETS } from '../helpers/signing.js';

const VOLUME_MB = 8;
const FILLER_MB = 4;

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'needs Linux (mounts a tmpfs)';
  if (process.getuid?.() !== 0) return 'needs root to mount a small tmpfs (CI runs as root)';
  return false;
}
const skip = skipReason();
if (skip) console.warn(`\n!!! SKIPPING the SQLite disk-full test: ${skip}\n`);

async function send(baseUrl: string, id: string): Promise<number> {
  const signed = signCustom({
    secret: TEST_SECRETS.custom,
    body: customBody({ id, padToBytes: 20_000 }),
    timestampHeader: 'x-webpig-timestamp',
  });
  const response = await fetch(`${baseUrl}/webhooks/shop`, { method: 'POST', headers: signed.headers, body: signed.body });
  await response.arrayBuffer();
  return response.status;
}

/** A tmpfs of VOLUME_MB megabytes in a fresh temporary directory (root only: see `skip`). */
function mountSmallVolume(): string {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${VOLUME_MB}m`, 'tmpfs', dir]);
  return dir;
}

function unmountVolume(dir: string): void {
  execFileSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
}

const walSize = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

describe('SQLite on a full disk', { skip }, () => {
  let volume: string;
  before(() => (volume = mountSmallVolume()));
  after(() => unmountVolume(volume));

  it('answers 503 while full, 200 again once space is freed, loses nothing, and the WAL shrinks', { timeout: 120_000 }, async () => {
    const file = join(volume, 'full.db');
    const filler = join(volume, 'filler');
    writeFileSync(filler, Buffer.alloc(FILLER_MB * 1024 * 1024));
    const store = SqliteStore.open(`sqlite:${file}`);
    let server: IngestServer | null = await startIngestServer({ store });
    try {
      const acknowledged: string[] = [];
      let n = 0;
      let status = 200;
      while (status === 200 && n < 5000) {
        const id = `full-${n++}`;
        status = await send(server.baseUrl, id);
        if (status === 200) acknowledged.push(id);
      }
      assert.equal(status, 503, `the full disk is answered 503 (after ${acknowledged.length} stored)`);
      for (let i = 0; i < 5; i++) assert.equal(await send(server.baseUrl, `still-full-${i}`), 503, 'still 503 while full');
      const walWhenFull = walSize(file);

      rmSync(filler);
      // The first delivery after space comes back may meet a checkpoint in progress: retry it
      // a few times as a provider would, then every delivery must be accepted.
      let recovered = 0;
      for (let i = 0; i < 50 && recovered === 0; i++) {
        if ((await send(server.baseUrl, 'after-0')) === 200) recovered = i + 1;
        else await sleep(200);
      }
      assert.ok(recovered > 0, 'accepted again without a restart once space is back');
      acknowledged.push('after-0');
      for (let i = 1; i < 30; i++) {
        assert.equal(await send(server.baseUrl, `after-${i}`), 200, `delivery after-${i} once space is back`);
        acknowledged.push(`after-${i}`);
      }
      let wal = walSize(file);
      for (let i = 0; i < 100 && wal > 1024 * 1024; i++) {
        await sleep(100);
        wal = walSize(file);
      }
      assert.ok(wal <= 1024 * 1024, `the WAL shrinks once idle (${wal} bytes; ${walWhenFull} when full)`);
      await server.close();
      server = null;

      const reopened = SqliteStore.open(`sqlite:${file}`);
      try {
        const missing: string[] = [];
        for (const id of acknowledged) if (!(await reopened.findEventByProviderId('shop', id))) missing.push(id);
        assert.deepEqual(missing, [], 'every acknowledged delivery is stored');
      } finally {
        await reopened.close();
      }
      console.log(
        `${acknowledged.length} acknowledged, 0 lost; WAL ${walWhenFull} bytes when full, ${wal} after; recovered on attempt ${recovered}`,
      );
    } finally {
      await server?.close();
    }
  });
});

describe('SQLite on a full disk, with `webpig serve` and `webpig worker` as separate processes', { skip }, () => {
  let volume: string;
  before(() => (volume = mountSmallVolume()));
  after(() => unmountVolume(volume));

  // The worker rewrites each event's row while it runs it, so the WAL grows faster than the
  // data: left to grow, it took the space the checkpoint needed and nothing recovered.
  it('recovers once space is freed: every acknowledged delivery stored and processed once', { timeout: 180_000 }, async () => {
    const service = makeServiceDir({ parent: volume });
    const db = `sqlite:${join(service.dir, 'full.db')}`;
    const filler = join(volume, 'filler');
    writeFileSync(filler, Buffer.alloc(FILLER_MB * 1024 * 1024));
    assert.equal(runCli(['--db', db, 'migrate'], { cwd: service.dir }).status, 0);
    const procs = [
      startServiceProcess('serve', service.dir, db, ['serve', '--port', '0']),
      startServiceProcess('worker', service.dir, db, ['worker']),
    ];
    try {
      const baseUrl = await procs[0]!.url;
      const acknowledged: string[] = [];
      let refused = 0;
      let n = 0;
      // Four senders at once, as a provider's burst: the worker runs events in between.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (refused < 20 && n < 2000) {
            const id = `proc-${n++}`;
            const status = await deliverOnce(baseUrl, id, { padToBytes: 20_000 });
            if (status === 200) acknowledged.push(id);
            else if (status === 503) refused++;
            else assert.fail(`delivery ${id} answered ${status}, expected 200 or 503`);
          }
        }),
      );
      assert.ok(refused >= 20, 'the volume filled up and deliveries were refused');
      // Providers keep retrying while the volume stays full (the worker keeps trying too).
      const fullUntil = Date.now() + 3000;
      await Promise.all(
        Array.from({ length: 4 }, async (_, s) => {
          for (let i = 0; Date.now() < fullUntil; i++) {
            const id = `proc-full-${s}-${i}`;
            if ((await deliverOnce(baseUrl, id, { padToBytes: 20_000 })) === 200) acknowledged.push(id);
            else await sleep(50);
          }
        }),
      );
      rmSync(filler);
      for (let i = 0; i < 20; i++) {
        const id = `proc-after-${i}`;
        await deliverUntilAcknowledged(baseUrl, id, { padToBytes: 20_000, retryMs: 100, maxAttempts: 300 });
        acknowledged.push(id);
      }
      const reader = SqliteStore.open(db, { checkpointIntervalMs: 0 });
      try {
        // Until every stored event has succeeded, not only as many as were acknowledged: a
        // delivery refused while the disk was full may still have been stored (its provider
        // would send it again and get the duplicate's 200), and it must be processed too.
        let done = 0;
        for (let i = 0; i < 300; i++) {
          await sleep(100);
          done = await reader.countEvents({ status: 'succeeded' });
          if (done >= acknowledged.length && done === (await reader.countEvents({}))) break;
        }
        const missing: string[] = [];
        for (const id of acknowledged) if (!(await reader.findEventByProviderId('shop', id))) missing.push(id);
        assert.deepEqual(missing, [], 'every acknowledged delivery is stored');
        const unfinished = (await reader.listEvents({ status: ['queued', 'processing', 'retrying', 'dead', 'ignored'] }, { limit: 20 }))
          .items;
        assert.equal(
          done,
          await reader.countEvents({}),
          `every stored event was processed; not succeeded: ${JSON.stringify(unfinished.map((e) => [e.providerEventId, e.status, e.lastError]))}`,
        );
        assert.equal(service.effects().length, done, 'one effect per event');
      } finally {
        await reader.close();
      }
      assert.deepEqual(
        procs.filter((p) => p.exited).map((p) => p.name),
        [],
        'no process exited',
      );
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  });
});
