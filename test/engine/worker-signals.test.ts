/**
 * `webpig worker` and `webpig start` as real processes, stopped with SIGTERM/SIGINT: they stop
 * claiming, let the running stage finish, give the lease back and exit 0. A second signal
 * to either aborts the running stage (its signal fires; a retriable error is kept).
 * The stages are gated by files the test creates, so nothing here depends on timing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { cleanEnv } from '../helpers/clean-env.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

// `first` announces itself, then waits for a `release` file (or its signal); `second` leaves a mark.
const CONFIG = `
import { existsSync, writeFileSync } from 'node:fs';
const dir = ${JSON.stringify('__DIR__')};
export default {
  sources: [],
  pipelines: [{
    name: 'gated',
    match: () => true,
    stages: [
      {
        name: 'first',
        timeoutMs: 600000,
        async run(ctx) {
          ctx.log.info('first started');
          writeFileSync(dir + '/started-' + ctx.event.id, '');
          while (!existsSync(dir + '/release')) {
            if (ctx.signal.aborted) throw ctx.signal.reason;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          return { finished: true };
        },
      },
      { name: 'second', async run(ctx) { writeFileSync(dir + '/second-' + ctx.event.id, ''); } },
    ],
  }],
};
`;

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnCli(dir: string, args: string[]): Running {
  const env = cleanEnv({ WEBPIG_LOG_LEVEL: 'info' });
  const child = spawn(process.execPath, ['--import', TSX, MAIN, '--db', `sqlite:${join(dir, 'w.db')}`, ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => void stdout.push(chunk));
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void stderr.push(chunk));
  // A safety net only (a hung process would hang the suite), not an assertion.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal });
    }),
  );
  return { child, stdout, stderr, exit };
}

async function untilFile(path: string): Promise<void> {
  while (!existsSync(path)) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function untilText(chunks: string[], text: string): Promise<void> {
  while (!chunks.join('').includes(text)) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function setup(): Promise<{ dir: string; ids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-signals-'));
  writeFileSync(join(dir, 'webpig.config.mjs'), CONFIG.replace('"__DIR__"', JSON.stringify(dir)));
  const store = SqliteStore.open(`sqlite:${join(dir, 'w.db')}`);
  await store.migrate();
  const ids: number[] = [];
  for (let i = 0; i < 2; i++) ids.push((await store.insertEvent(delivery())).event.id);
  await store.close();
  return { dir, ids };
}

async function readBack(dir: string, ids: number[]) {
  const store = SqliteStore.open(`sqlite:${join(dir, 'w.db')}`);
  try {
    return await Promise.all(ids.map(async (id) => ({ event: await store.getEvent(id), checkpoints: await store.getCheckpoints(id) })));
  } finally {
    await store.close();
  }
}

describe('stopping worker processes with signals', () => {
  const cases: { args: string[]; signal: NodeJS.Signals }[] = [
    { args: ['worker', '--concurrency', '1'], signal: 'SIGTERM' },
    { args: ['worker', '--concurrency', '1'], signal: 'SIGINT' },
    { args: ['start', '--port', '0', '--concurrency', '1'], signal: 'SIGTERM' },
  ];
  for (const { args, signal } of cases) {
    it(`webpig ${args[0]}, ${signal}: the running stage finishes, nothing else starts, the lease is given back`, async () => {
      const { dir, ids } = await setup();
      try {
        const proc = spawnCli(dir, args);
        await untilFile(join(dir, `started-${ids[0]}`));
        proc.child.kill(signal);
        // Once the process says it got the signal, the stage is still running: let it finish.
        await untilText(proc.stderr, `${signal} received`);
        writeFileSync(join(dir, 'release'), '');
        assert.deepEqual(await proc.exit, { code: 0, signal: null });

        const [first, second] = await readBack(dir, ids);
        assert.deepEqual(first?.checkpoints.find((c) => c.stage === 'first')?.data, { finished: true }, 'the running stage finished');
        assert.equal(existsSync(join(dir, `second-${ids[0]}`)), false, 'no further stage started');
        assert.equal(first?.event?.status, 'queued', 'the event went back to the queue');
        assert.equal(first?.event?.leaseOwner, null, 'its lease was released');
        assert.equal(existsSync(join(dir, `started-${ids[1]}`)), false, 'no other event was claimed');
        assert.deepEqual(second?.checkpoints, []);
        assert.equal(second?.event?.leaseOwner, null);

        // Every worker log line is JSON with its event named once.
        const lines = proc.stdout
          .join('')
          .split('\n')
          .filter((l) => l.startsWith('{'));
        const started = lines.find((l) => l.includes('"first started"'));
        assert.ok(started, proc.stdout.join(''));
        assert.equal(started.split('"eventId":').length - 1, 1, started);
        assert.equal((JSON.parse(started) as { eventId: number }).eventId, ids[0]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  for (const args of [
    ['worker', '--concurrency', '1'],
    ['start', '--port', '0', '--concurrency', '1'],
  ]) {
    it(`webpig ${args[0]}, a second SIGTERM: the running stage is aborted and kept as a retriable error`, async () => {
      const { dir, ids } = await setup();
      try {
        const proc = spawnCli(dir, args);
        await untilFile(join(dir, `started-${ids[0]}`));
        proc.child.kill('SIGTERM');
        // Two signals sent at once may arrive as one: send the second once the first was seen.
        await untilText(proc.stderr, 'SIGTERM received');
        proc.child.kill('SIGTERM');
        assert.deepEqual(await proc.exit, { code: 0, signal: null });
        const [first] = await readBack(dir, ids);
        const cp = first?.checkpoints.find((c) => c.stage === 'first');
        assert.equal(cp?.status, 'error');
        assert.equal(cp?.error?.code, 'WORKER_SHUTDOWN');
        assert.equal(cp?.error?.retriable, true);
        assert.equal(first?.event?.status, 'retrying');
        assert.equal(first?.event?.leaseOwner, null);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
