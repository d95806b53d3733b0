/**
 * `npm run chaos`: the fault storms of issue 17, small and bounded in time, each printing what
 * it counted. Real processes (`webpig serve` / `webpig worker`), real PostgreSQL and a real
 * small filesystem; nothing is mocked. Scenarios that need what this machine lacks
 * (PostgreSQL, root for a tmpfs) say so and are skipped.
 *
 *   npm run chaos                      all scenarios
 *   npm run chaos -- server-kill slow  only these
 *   CHAOS_DELIVERIES=500 npm run chaos  bigger runs (Default: 200 per scenario)
 */
import { execFileSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { runCli } from '../test/helpers/cli.js';
import {
  deliverUntilAcknowledged,
  makeServiceDir,
  startServiceProcess,
  type ServiceDir,
  type ServiceProcess,
} from '../test/helpers/service-processes.js';

const DELIVERIES = Number(process.env.CHAOS_DELIVERIES ?? 200);
const PG_URL = process.env.WEBPIG_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Counts {
  acknowledged: number;
  stored: number;
  lost: number;
  duplicates: number;
  [extra: string]: number | string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Sends `ids` from `senders` parallel senders, each retried until acknowledged. */
async function sendAll(
  baseUrl: () => string,
  ids: string[],
  senders: number,
  padToBytes?: number,
): Promise<{ acknowledged: string[]; retries: number }> {
  const acknowledged: string[] = [];
  let retries = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        retries += (await deliverUntilAcknowledged(baseUrl(), id, { retryMs: 50, maxAttempts: 1200, padToBytes })) - 1;
        acknowledged.push(id);
      }
    }),
  );
  return { acknowledged, retries };
}

/** Waits until every stored event succeeded and returns how it ended. */
async function drained(count: () => Promise<{ stored: number; succeeded: number; ids: string[] }>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = await count();
  while (last.succeeded < last.stored && Date.now() < deadline) {
    await sleep(250);
    last = await count();
  }
  return last;
}

function tally(acknowledged: string[], storedIds: string[], service: ServiceDir, succeeded: number): Counts {
  const stored = new Set(storedIds);
  const log = join(service.dir, 'runs.log');
  const runs = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  return {
    acknowledged: acknowledged.length,
    stored: stored.size,
    lost: acknowledged.filter((id) => !stored.has(id)).length,
    duplicates: storedIds.length - stored.size,
    succeeded,
    effects: service.effects().length,
    'stage runs': runs.length,
  };
}

function sqliteCounter(file: string) {
  return async () => {
    const store = SqliteStore.open(`sqlite:${file}`, { checkpointIntervalMs: 0 });
    try {
      const rows = store.database.prepare('SELECT provider_event_id AS id, status FROM events').all() as { id: string; status: string }[];
      return { stored: rows.length, succeeded: rows.filter((r) => r.status === 'succeeded').length, ids: rows.map((r) => r.id) };
    } finally {
      await store.close();
    }
  };
}

async function serverKillMidBurst(): Promise<Counts> {
  const service = makeServiceDir({ leaseMs: 2000 });
  const db = `sqlite:${join(service.dir, 'chaos.db')}`;
  runCli(['--db', db, 'migrate'], { cwd: service.dir });
  const port = await freePort();
  const serve = () => startServiceProcess('serve', service.dir, db, ['serve', '--port', String(port)]);
  let server = serve();
  await server.url;
  const worker = startServiceProcess('worker', service.dir, db, ['worker']);
  let kills = 0;
  const ids = Array.from({ length: DELIVERIES }, (_, i) => `burst-${i}`);
  const sending = sendAll(() => `http://127.0.0.1:${port}`, ids, 16);
  for (let k = 0; k < 3; k++) {
    await sleep(400);
    server.child.kill('SIGKILL');
    kills++;
    await new Promise((resolve) => server.child.once('exit', resolve));
    server = serve();
    await server.url;
  }
  const { acknowledged, retries } = await sending;
  const end = await drained(sqliteCounter(join(service.dir, 'chaos.db')), 60_000);
  await Promise.all([server.stop(), worker.stop()]);
  const counts = { ...tally(acknowledged, end.ids, service, end.succeeded), 'server kills': kills, 'sender retries': retries };
  rmSync(service.dir, { recursive: true, force: true });
  return counts;
}

async function postgresKills(): Promise<Counts | string> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
  } catch (err) {
    return `skipped: PostgreSQL not reachable (${(err as Error).message})`;
  }
  const schema = `webpig_chaos_${process.pid}`;
  const appName = `webpig_chaos_${process.pid}`;
  await admin.query(`CREATE SCHEMA ${schema}`);
  const service = makeServiceDir({ leaseMs: 2000 });
  const db = `${PG_URL}?schema=${schema}&application_name=${appName}`;
  const procs: ServiceProcess[] = [];
  try {
    runCli(['--db', db, 'migrate'], { cwd: service.dir });
    procs.push(startServiceProcess('serve', service.dir, db, ['serve', '--port', '0']));
    procs.push(startServiceProcess('worker-1', service.dir, db, ['worker']), startServiceProcess('worker-2', service.dir, db, ['worker']));
    const baseUrl = await procs[0]!.url;
    await sleep(1500);
    let killed = 0;
    let killing = true;
    const killer = (async () => {
      while (killing) {
        await sleep(150);
        const result = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName]);
        killed += result.rowCount ?? 0;
      }
    })();
    const { acknowledged, retries } = await sendAll(
      () => baseUrl,
      Array.from({ length: DELIVERIES }, (_, i) => `pg-${i}`),
      8,
    );
    killing = false;
    await killer;
    const end = await drained(async () => {
      const rows = (await admin.query<{ id: string; status: string }>(`SELECT provider_event_id AS id, status FROM ${schema}.events`)).rows;
      return { stored: rows.length, succeeded: rows.filter((r) => r.status === 'succeeded').length, ids: rows.map((r) => r.id) };
    }, 60_000);
    const exited = procs.filter((p) => p.exited !== null).length;
    return {
      ...tally(acknowledged, end.ids, service, end.succeeded),
      'backends killed': killed,
      'processes exited': exited,
      'sender retries': retries,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    rmSync(service.dir, { recursive: true, force: true });
  }
}

async function diskFull(): Promise<Counts | string> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'skipped: needs root on Linux to mount a 16 MB tmpfs';
  const volume = mkdtempSync(join(tmpdir(), 'webpig-chaos-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', volume]);
  const service = makeServiceDir({ parent: volume });
  const file = join(service.dir, 'full.db');
  const procs: ServiceProcess[] = [];
  try {
    writeFileSync(join(volume, 'filler'), Buffer.alloc(10 * 1024 * 1024));
    runCli(['--db', `sqlite:${file}`, 'migrate'], { cwd: service.dir });
    procs.push(startServiceProcess('serve', service.dir, `sqlite:${file}`, ['serve', '--port', '0']));
    const baseUrl = await procs[0]!.url;
    procs.push(startServiceProcess('worker', service.dir, `sqlite:${file}`, ['worker']));
    // Free the space 3 s after the volume is full: meanwhile deliveries are answered 503 and retried.
    let fullAt = 0;
    const freer = (async () => {
      for (;;) {
        await sleep(100);
        const fs = statfsSync(volume);
        if (fullAt === 0 && fs.bavail * fs.bsize < 64 * 1024) fullAt = Date.now();
        if (fullAt > 0 && Date.now() - fullAt > 3000) break;
      }
      rmSync(join(volume, 'filler'));
    })();
    const ids = Array.from({ length: DELIVERIES }, (_, i) => `full-${i}`);
    const { acknowledged, retries } = await sendAll(() => baseUrl, ids, 4, 20_000);
    await Promise.race([freer, sleep(1000)]);
    const end = await drained(sqliteCounter(file), 60_000);
    const wal = existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0;
    return {
      ...tally(acknowledged, end.ids, service, end.succeeded),
      'became full': fullAt > 0 ? 'yes' : 'no',
      'sender retries (503s)': retries,
      'WAL bytes at end': wal,
    };
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    execFileSync('umount', [volume]);
    rmSync(volume, { recursive: true, force: true });
  }
}

async function slowClients(): Promise<Counts> {
  const service = makeServiceDir({ server: { requestTimeoutMs: 2000, headersTimeoutMs: 1000 } });
  const db = `sqlite:${join(service.dir, 'slow.db')}`;
  runCli(['--db', db, 'migrate'], { cwd: service.dir });
  const serve = startServiceProcess('serve', service.dir, db, ['serve', '--port', '0']);
  const worker = startServiceProcess('worker', service.dir, db, ['worker']);
  try {
    const { port } = new URL(await serve.url);
    let closedByServer = 0;
    const stalled = Array.from({ length: 1000 }, () => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('POST /webhooks/shop HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{"a":"'),
      );
      socket.on('error', () => undefined);
      socket.resume();
      return new Promise<void>((resolve) => socket.once('close', () => resolve(void closedByServer++)));
    });
    const started = Date.now();
    const ids = Array.from({ length: Math.min(DELIVERIES, 100) }, (_, i) => `slow-${i}`);
    const { acknowledged } = await sendAll(() => `http://127.0.0.1:${port}`, ids, 4);
    const sendMs = Date.now() - started;
    await Promise.race([Promise.all(stalled), sleep(15_000)]);
    const end = await drained(sqliteCounter(join(service.dir, 'slow.db')), 30_000);
    const counts = tally(acknowledged, end.ids, service, end.succeeded);
    return { ...counts, 'stalled uploads': 1000, 'closed by the server': closedByServer, 'valid deliveries took (ms)': sendMs };
  } finally {
    await Promise.all([serve.stop(), worker.stop()]);
    rmSync(service.dir, { recursive: true, force: true });
  }
}

const SCENARIOS: Record<string, () => Promise<Counts | string>> = {
  'server-kill': serverKillMidBurst,
  'postgres-kills': postgresKills,
  'disk-full': diskFull,
  slow: slowClients,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in SCENARIOS));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(', ')}`);
  let failed = false;
  for (const [name, run] of Object.entries(SCENARIOS)) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const started = Date.now();
    const result = await Promise.race([run(), sleep(180_000).then(() => 'gave up after 180 s')]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (typeof result === 'string') {
      console.log(`${name}: ${result} (${seconds} s)`);
      continue;
    }
    const bad = result.lost > 0 || result.duplicates > 0 || result.effects !== result.stored;
    failed ||= bad;
    console.log(
      `${name}: ${Object.entries(result)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (${seconds} s)${bad ? '  <-- FAILED' : ''}`,
    );
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
