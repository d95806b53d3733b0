import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cleanEnv } from '../helpers/clean-env.js';
import { postgresSkip } from '../helpers/postgres.js';

/**
 * The benchmark commands bench/README.md shows, run small: they fill the store, hit the real
 * server and print a figure for every case (the figures themselves are the README's, not
 * asserted here: they depend on the machine). Those that need PostgreSQL are skipped, with the
 * reason printed, where it is not reachable (an error under WEBPIG_REQUIRE_POSTGRES=1).
 */

const needsPostgres = { skip: await postgresSkip() };

function run(args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ...args], { encoding: 'utf8', env: cleanEnv(), timeout: 180_000 });
  assert.equal(result.status, 0, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Rows per case of one store's block of `bench/list.ts` output. */
function rowsByCase(block: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const match of block.matchAll(/^ {2}(\S+) .*p50 +[\d.]+ ms +p95 +[\d.]+ ms +(\d+) rows/gm)) rows.set(match[1]!, Number(match[2]));
  return rows;
}

test('bench/list.ts fills both stores and lists every case over HTTP', needsPostgres, () => {
  const output = run(['bench/list.ts', '--events', '3000', '--samples', '2']);
  const [, sqlite, postgres] = output.split(/^(?:SQLite|PostgreSQL): filled 3,000 events/m);
  assert.ok(sqlite !== undefined && postgres !== undefined, output);
  for (const block of [sqlite, postgres]) {
    const rows = rowsByCase(block);
    // One customer in 10,000 is "Zoe Rareza" (row 7); one in 20 is dead.
    assert.deepEqual(Object.fromEntries(rows), {
      unfiltered: 50,
      'status=succeeded': 50,
      'status=dead': 50,
      'q=rareza': 1,
      'q=example.com': 50,
      'status=dead&q=rareza': 0,
    });
    // The searches' page query, indexed beside the old substring scan, measured in the same run.
    for (const search of ['q=rareza', 'q=example.com', 'status=dead&q=rareza']) {
      assert.match(
        block,
        new RegExp(
          `^ {4}${search.replace('.', '\\.')} +indexed p50 +[\\d.]+ / p95 +[\\d.]+ ms +substring scan \\(before\\) p50 .* p95 ratio [\\d.]+×$`,
          'm',
        ),
      );
    }
    assert.match(block, /migration 0011 \(.*\) took [\d.]+ s/);
  }
});

test('bench/search-write.ts inserts with and without the trigram index on both stores', needsPostgres, () => {
  const output = run(['bench/search-write.ts', '--rounds', '2', '--events', '40', '--batches', '1,8']);
  // A variant: its rate, its CPU an event and, but for the last (the baseline), the ratio to it.
  const cell = (label: string, last = false) => `${label} \\d+ events/s \\(\\d+ µs CPU here an event${last ? '' : ', ratio [\\d.]+'}\\)`;
  const lines = {
    SQLite: [cell('indexed after the commit'), cell('in the commit'), cell('no index', true)],
    PostgreSQL: [cell('with the index'), cell('without', true)],
  };
  for (const [store, cells] of Object.entries(lines)) {
    for (const batch of [' 1', ' 8']) {
      assert.match(output, new RegExp(`^ {2}${store}, batches of ${batch}: ${cells.join('; ')} +load `, 'm'));
    }
  }
});

test('bench/facturador.ts runs the Facturador in the demo to the end, and --cpu-prof makes its folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-fact-'));
  try {
    const profiles = join(dir, 'not', 'made', 'yet');
    const output = run(['bench/facturador.ts', '--events', '4', '--senders', '2', '--cpu-prof', profiles]);
    assert.match(output, /end to end: 4 events in [\d.]+ s = [\d.]+ events\/s \(target ≥ 150\); 4 succeeded/);
    assert.match(output, /CPU of the demo's process .* ms an event/);
    assert.match(output, /CPU of the sandbox's process: .* ms an event/);
    assert.equal(readdirSync(profiles).filter((name) => name.endsWith('.cpuprofile')).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench/ingest.ts --cpu-prof profiles the webpig server, and bench/cpu-profile.ts reads the profile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bench-prof-'));
  try {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/ingest.ts', '--duration', '1', '--rounds', '1', '--connections', '4', '--cpu-prof', dir],
      { encoding: 'utf8', env: cleanEnv(), timeout: 180_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /ratio webpig\/bare: [\d.]+ overall/);
    assert.match(result.stderr, /webpig server: \d+ deliveries in \d+ commits .* CPU [\d.]+ ms a delivery/);
    const profiles = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
    assert.ok(profiles.length > 0, 'a .cpuprofile was written');
    const report = run(['bench/cpu-profile.ts', join(dir, profiles[0]!), '--top', '5']);
    assert.match(report, /by self time\n/);
    assert.match(report, /by innermost project frame/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  "bench/pipeline.ts runs both stores with the stages declared both ways and, on PostgreSQL, counts the server's CPU an event",
  needsPostgres,
  () => {
    const output = run(['bench/pipeline.ts', '--events', '200', '--concurrency', '4']);
    const blocks = output.split(/^(?=(?:SQLite|PostgreSQL) \()/m).slice(1);
    assert.deepEqual(
      blocks.map((block) => [block.split(' ')[0], /^ {2}stages: +(each stage marked|effects: 'none')/m.exec(block)?.[1]]),
      [
        ['SQLite', 'each stage marked'],
        ['SQLite', "effects: 'none'"],
        ['PostgreSQL', 'each stage marked'],
        ['PostgreSQL', "effects: 'none'"],
      ],
      output,
    );
    for (const block of blocks) assert.match(block, /^ {2}ratio: +events\/s ÷ inserts\/s = [\d.]+/m);
    for (const block of blocks.slice(0, 2)) assert.doesNotMatch(block, /server CPU/, 'SQLite has no server');
    // The local PostgreSQL ran every checkpoint write of 200 events: its CPU cannot be zero.
    for (const block of blocks.slice(2)) {
      const server = /; PostgreSQL server CPU ([\d.]+) ms an event/.exec(block);
      assert.ok(server !== null, block);
      assert.ok(Number(server[1]) > 0, block);
    }
  },
);

test('bench/idle-phases.ts splits an idle worker’s path and prints its floors back to back and after idle', needsPostgres, () => {
  const output = run(['bench/idle-phases.ts', '--samples', '3']);
  for (const phase of ['insert \\(flushed\\)', 'claim \\(unflushed\\)', 'first mark \\(flushed\\)', 'receipt → first stage']) {
    assert.match(output, new RegExp(`^ {2}${phase} +[\\d.]+ ms$`, 'm'));
  }
  for (const floor of ['SELECT 1', 'flushed INSERT']) {
    for (const when of ['back to back', 'after 100 ms idle']) {
      assert.match(output, new RegExp(`^ {2}floor: ${floor}, ${when} +[\\d.]+ ms$`, 'm'));
    }
  }
});
