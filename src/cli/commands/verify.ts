/**
 * `webpig verify --deliveries FILE [--events N] [--kills M] [--seed S] [--keep]`: runs the
 * user's own pipelines through a crash storm on a scratch database and reports, per stage,
 * whether every effect happened exactly once (src/verify/run-verify.ts). Exit 0 on PASS, 1 on
 * FAIL. The hidden `verify-worker` command is the worker process it kills and restarts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { importDefaultExport, importFailure } from '../../config/load-config.js';
import { isWebpigError } from '../../core/errors.js';
import pino from 'pino';
import { stageRetryPolicy, type PipelineDefinition } from '../../core/pipeline.js';
import { createWorker } from '../../engine/worker.js';
import { killingFailpoint, parseKillPlan, type KillPlan } from '../../verify/kill-plan.js';
import { formatReport, runVerify, type VerifyDelivery, type WorkerExit } from '../../verify/run-verify.js';
import type { GlobalOptions } from '../context.js';
import { startService } from '../../service/start.js';
import { parsePositiveInt, runAction, UsageError, type EngineCliDeps } from './cli-deps.js';

const PLAN_VARIABLE = 'WEBPIG_VERIFY_KILL';
/** Short, so the next worker resumes a killed one's events quickly. */
const VERIFY_LEASE_MS = 1_000;
/** Longest a verify worker may run before it is considered stuck. */
const WORKER_TIMEOUT_MS = 5 * 60_000;

type DeliveryFactory = (index: number) => VerifyDelivery | Promise<VerifyDelivery>;

async function loadDeliveries(file: string): Promise<DeliveryFactory> {
  let exported: unknown;
  try {
    exported = await importDefaultExport(file);
  } catch (err) {
    if (isWebpigError(err) && err.code === 'CONFIG_NOT_FOUND') throw new UsageError(`--deliveries: ${err.message}`);
    throw new UsageError(`could not load --deliveries ${file}: ${importFailure(err)}`);
  }
  if (typeof exported !== 'function') {
    throw new UsageError(`--deliveries ${file} must export by default a function (index) => ({ source, method, query, headers, body })`);
  }
  return exported as DeliveryFactory;
}

/** Retries at once, and often enough that crashes on purpose never exhaust a stage's budget. */
function withVerifyRetries(pipelines: PipelineDefinition[], kills: number): PipelineDefinition[] {
  return pipelines.map((pipeline) => ({
    ...pipeline,
    stages: pipeline.stages.map((stage) => {
      const planned = stageRetryPolicy(pipeline, stage).delaysMs ?? [];
      return { ...stage, retry: { delaysMs: planned.length === 0 ? [] : new Array<number>(planned.length + kills + 2).fill(0) } };
    }),
  }));
}

function runWorkerProcess(globals: GlobalOptions, databaseUrl: string, kills: number, plan: KillPlan | null): Promise<WorkerExit> {
  const cli = process.argv[1] as string;
  const args = [...process.execArgv, cli, ...(globals.config ? ['--config', globals.config] : []), '--db', databaseUrl];
  const child = spawn(process.execPath, [...args, 'verify-worker', '--kills', String(kills)], {
    env: { ...process.env, [PLAN_VARIABLE]: plan ? JSON.stringify(plan) : '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL' && plan !== null, code, stderr });
    });
  });
}

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('verify')
    .description("crash-test your own pipelines: N deliveries, M workers SIGKILLed mid-work, then every stage's effects counted")
    .requiredOption(
      '--deliveries <file>',
      'module whose default export builds delivery i: (i) => ({ source, method, query, headers, body })',
    )
    .option('--events <n>', 'synthetic deliveries to send (Default: 20)', '20')
    .option('--kills <n>', 'worker processes to SIGKILL (Default: 10)', '10')
    .option('--seed <n>', 'makes the kill plan repeatable (Default: random, printed)')
    .option('--keep', 'keep the scratch database (always kept on FAIL)')
    .action((opts: { deliveries: string; events: string; kills: string; seed?: string; keep?: boolean }) =>
      runAction(async () => {
        const events = parsePositiveInt(opts.events, '--events');
        const kills = parsePositiveInt(opts.kills, '--kills');
        const seed = opts.seed === undefined ? Math.floor(Math.random() * 1_000_000) + 1 : parsePositiveInt(opts.seed, '--seed');
        const delivery = await loadDeliveries(opts.deliveries);
        const config = await deps.loadConfig();
        const globals = program.opts<GlobalOptions>();
        const dir = mkdtempSync(path.join(tmpdir(), 'webpig-verify-'));
        const databaseUrl = `sqlite:${path.join(dir, 'verify.db')}`;
        const print = (line: string) => process.stdout.write(`${line}\n`);
        print(`webpig verify: seed ${seed}, scratch database ${databaseUrl}`);
        const report = await runVerify({
          config,
          databaseUrl,
          delivery,
          events,
          kills,
          seed,
          print,
          async startServer(store) {
            const service = await startService({
              store,
              config,
              http: true,
              worker: false,
              port: 0,
              host: '127.0.0.1',
              logLevel: 'silent',
            });
            return { url: service.url as string, stop: async () => service.app?.close() };
          },
          runWorker: (plan) => runWorkerProcess(globals, databaseUrl, kills, plan),
        });
        for (const line of formatReport(report)) print(line);
        if (report.passed && !opts.keep) rmSync(dir, { recursive: true, force: true });
        else print(`scratch database kept: ${databaseUrl}`);
        if (!report.passed) process.exitCode = 1;
      }),
    );

  program
    .command('verify-worker', { hidden: true })
    .option('--kills <n>', "the run's kill count (sizes the retry budget)", '10')
    .action((opts: { kills: string }) =>
      runAction(async () => {
        const plan = parseKillPlan(process.env[PLAN_VARIABLE]);
        const config = await deps.loadConfig();
        const store = await deps.openStore();
        const worker = createWorker({
          store,
          pipelines: withVerifyRetries(config.pipelines, parsePositiveInt(opts.kills, '--kills')),
          concurrency: config.worker?.concurrency,
          leaseMs: VERIFY_LEASE_MS,
          pollMs: 50,
          logger: pino({ level: 'silent' }),
          ...(plan ? { failpoint: killingFailpoint(plan) } : {}),
        });
        worker.start();
        while ((await store.countEvents({ status: ['queued', 'processing', 'retrying'] })) > 0) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await worker.stop();
        await store.close();
      }),
    );
}
