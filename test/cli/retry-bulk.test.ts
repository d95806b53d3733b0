/**
 * `webpig retry` with a filter: `--dry-run` prints the preview and changes nothing; bad filters
 * are usage errors (exit 2) that change nothing; the run queues exactly what the preview listed,
 * with the reason audited; and every `webpig retry` line README.md shows runs as written.
 * In-process through commander (as main.ts runs it) on a real SQLite file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/config/resolve.js';
import type { ResolvedConfig } from '../../src/config/types.js';
import { definePipeline } from '../../src/core/pipeline.js';
import { PermanentError } from '../../src/core/errors.js';
import { register as registerRetry } from '../../src/cli/commands/retry.js';
import type { EngineCliDeps } from '../../src/cli/commands/cli-deps.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { runInProcess, type InProcessOutcome } from '../helpers/cli-in-process.js';
import { CountingStages, insert, TestClock, claimAndRun } from '../helpers/engine-fixtures.js';

const INVOICE = 'worldoffice_invoice_creation';
const stages = new CountingStages();
/** Stage name → the code it fails with, for the events being made. */
const failing = new Map<string, string>();
const fail = (name: string) => () => {
  const code = failing.get(name);
  if (code) throw new PermanentError(`${name} failed`, { code });
  return { done: name };
};
const pipeline = definePipeline({
  name: 'facturador',
  match: () => true,
  stages: [
    stages.stage('worldoffice_customer', {}, fail('worldoffice_customer')),
    stages.stage(INVOICE, { dependsOn: ['worldoffice_customer'] }, fail(INVOICE)),
    stages.stage('worldoffice_invoice_accounting', { dependsOn: [INVOICE] }, fail('worldoffice_invoice_accounting')),
    stages.stage('worldoffice_dian_emission', { dependsOn: ['worldoffice_invoice_accounting'], flag: 'WORLDOFFICE_DIAN_ENABLED' }),
    stages.stage('crm_upsert', {}, fail('crm_upsert')),
  ],
});

describe('webpig retry with a filter (bulk)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-bulk-cli-'));
  const url = `sqlite:${join(dir, 'bulk.db')}`;
  const openStore = async () => {
    const store = SqliteStore.open(url);
    await store.migrate();
    return store;
  };
  const config = async (): Promise<ResolvedConfig> =>
    resolveConfig(
      {
        sources: [],
        pipelines: [pipeline],
        flags: [{ key: 'WORLDOFFICE_DIAN_ENABLED', description: 'DIAN' }],
        dashboard: { timeZone: 'America/Bogota' },
      },
      'test',
    );
  const deps: EngineCliDeps = { openStore, openExistingStore: openStore, loadConfig: config, loadConfigForReading: config };
  const ids = { invoice500: 0, invoice500Old: 0, invoice404: 0, crm500: 0 };

  const cli = (...args: string[]): Promise<InProcessOutcome> => runInProcess((program) => registerRetry(program, deps), args);

  /** Everything an action could change: statuses, checkpoints, audit, flags. */
  async function snapshot(): Promise<string> {
    const store = await openStore();
    try {
      const events = (await store.listEvents({}, { limit: 500 })).items.map((e) => [e.id, e.status, e.manualRetries]);
      const checkpoints = [...(await store.getCheckpointsForEvents(events.map((e) => e[0] as number))).values()]
        .flat()
        .map((c) => [c.eventId, c.stage, c.status, c.attempts]);
      return JSON.stringify({ events, checkpoints, audit: (await store.listAudit({})).items.length });
    } finally {
      await store.close();
    }
  }

  before(async () => {
    const store: Store = await openStore();
    await store.ensureFlags([{ key: 'WORLDOFFICE_DIAN_ENABLED', description: 'DIAN', defaultValue: false }], new Date());
    const clock = new TestClock(Date.parse('2026-12-02T15:00:00Z'));
    const make = async (stage: string, code: string, receivedAt: string) => {
      failing.clear();
      failing.set(stage, code);
      const id = await insert(store, { receivedAt: new Date(receivedAt) });
      clock.ms = Math.max(clock.ms, Date.parse(receivedAt) + 1000);
      await claimAndRun(store, [pipeline], clock);
      return id;
    };
    ids.invoice500 = await make(INVOICE, 'HTTP_500', '2026-12-02T14:00:00Z');
    // 2026-12-01 00:30 in UTC is still 30 November in Bogotá: before `--since 2026-12-01`.
    ids.invoice500Old = await make(INVOICE, 'HTTP_500', '2026-12-01T00:30:00Z');
    ids.invoice404 = await make(INVOICE, 'HTTP_404', '2026-12-02T14:10:00Z');
    ids.crm500 = await make('crm_upsert', 'HTTP_500', '2026-12-02T14:20:00Z');
    failing.clear();
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--dry-run prints the preview, event by event, and changes nothing', async () => {
    const before = await snapshot();
    const dry = await cli('retry', '--status', 'dead', '--stage', INVOICE, '--code', 'HTTP_500', '--since', '2026-12-01', '--dry-run');
    assert.equal(dry.exitCode, 0, dry.err);
    const lines = dry.out.split('\n');
    assert.equal(lines[0], '1 event would be retried (2 stage runs); nothing was changed (--dry-run)');
    // The fixture's stages fail with PermanentError (dead at once): said, as Web Pig's preview says it.
    assert.equal(
      lines[1],
      '1 of them failed with an error that retrying does not fix (marked "permanent error"): ' +
        'unless the data, the configuration or the other system changed, they will fail the same way',
    );
    assert.match(
      lines[2]!,
      new RegExp(`^#${ids.invoice500}  dead  epayco  2026-12-02 09:00:00 -05:00 .* failed at ${INVOICE} \\(HTTP_500, permanent error\\)$`),
    );
    assert.equal(lines[3], `    will run: ${INVOICE}, worldoffice_invoice_accounting`);
    assert.equal(lines[4], '    will be skipped: worldoffice_dian_emission (flag WORLDOFFICE_DIAN_ENABLED is off)');
    assert.equal(lines[5], '    done, not run again: worldoffice_customer, crm_upsert');
    assert.equal(lines.length, 6);
    assert.equal(await snapshot(), before);

    const json = await cli('retry', '--status', 'dead', '--code', 'http_500', '--dry-run', '--json');
    const parsed = JSON.parse(json.out) as { preview: { count: number; events: { eventId: number }[] } };
    assert.deepEqual(parsed.preview.events.map((e) => e.eventId).sort(), [ids.invoice500, ids.invoice500Old, ids.crm500].sort());
    assert.equal(await snapshot(), before);
  });

  it('bad filters: one clear line, exit code 2, nothing changed', async () => {
    const before = await snapshot();
    const cases: [string[], RegExp][] = [
      [['--status', 'dead', '--stage', 'nope'], /^webpig: --stage: unknown stage "nope" \(known: worldoffice_customer, /],
      [['--status', 'succeeded'], /^webpig: --status: only dead or retrying events can be retried, not succeeded/],
      [['--status', 'exploded'], /^webpig: --status: unknown status "exploded"/],
      [['--status', 'dead', '--since', 'yesterday'], /^webpig: --since must be a day \(2026-12-01\) or a time with its offset/],
      [['--status', 'dead', '--since', '2026-12-01T08:00:00'], /^webpig: --since must be a day/],
      [['--status', 'dead', '--since', '2026-12-02', '--until', '2026-12-01'], /^webpig: --since: must be before until$/],
      [['--status', 'dead', '--code', 'HTTP 500'], /^webpig: --code: "HTTP 500" is not an error code/],
      [['--status', 'dead', '--pipeline', 'other'], /^webpig: --pipeline: unknown pipeline "other"/],
      [['--stage', INVOICE], /^webpig: a bulk retry needs --status dead/],
      [['--status', 'dead'], /^webpig: a bulk retry needs --reason "why"/],
      [['7', '--status', 'dead'], /^webpig: give an event id or a filter/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(
        'retry',
        ...args,
        ...(args.includes('--reason') || (args[1] === 'dead' && args.length === 2) ? [] : ['--reason', 'x']),
      );
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.err}`);
      assert.match(result.err, message, args.join(' '));
      assert.equal(result.err.split('\n').length, 1);
    }
    assert.equal(await snapshot(), before);
  });

  it('every `webpig retry` line README.md shows runs as written; the run queues what the preview listed', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = readme.split('<!-- test/cli/retry-bulk.test.ts runs every `webpig retry` line of this block -->')[1]?.split('```')[1];
    assert.ok(block, 'README.md has the bulk retry block');
    const commands = block.split('\n').filter((l) => l.startsWith('webpig retry'));
    assert.equal(commands.length, 3);
    for (const command of commands) {
      const args = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);
      const result = await cli(...args);
      assert.equal(result.exitCode, 0, `${command}: ${result.err}`);
    }
    const store = await openStore();
    try {
      const statuses = Object.fromEntries(
        await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, (await store.getEvent(id))?.status])),
      );
      assert.deepEqual(
        statuses,
        { invoice500: 'queued', invoice500Old: 'dead', invoice404: 'dead', crm500: 'dead' },
        'only the selected event',
      );
      const [audit] = (await store.listAudit({ action: 'event.retry' })).items;
      assert.equal(audit?.target, `event:${ids.invoice500}`);
      assert.equal(audit?.details?.reason, 'WorldOffice was down until 10:00');
    } finally {
      await store.close();
    }
  });
});
