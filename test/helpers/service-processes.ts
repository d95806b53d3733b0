/**
 * Real `webpig serve` / `webpig worker` processes for fault tests (connection kills, chaos):
 * a temp directory with a config holding one custom source and a one-stage pipeline whose
 * effect is a file per idempotency key (made with `wx`, as an idempotent external system
 * would refuse a second create), plus helpers to send signed deliveries and to watch the
 * processes. The environment is rebuilt without any WEBPIG_* variable, so the caller's own
 * settings never leak in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { customBody, signCustom, TEST_SECRETS } from './signing.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export const SOURCE = 'shop';

function configText(dir: string, leaseMs: number, server: Record<string, unknown>): string {
  return `
import { appendFileSync, writeFileSync } from 'node:fs';
const dir = ${JSON.stringify(dir)};
export default {
  sources: [{
    name: ${JSON.stringify(SOURCE)}, kind: 'custom', secrets: [${JSON.stringify(TEST_SECRETS.custom)}],
    paths: { eventId: 'id', entityKey: 'order.id', type: 'type', transactionStatus: 'order.status' },
  }],
  worker: { leaseMs: ${leaseMs} },
  server: ${JSON.stringify(server)},
  pipelines: [{
    name: 'effect',
    match: () => true,
    stages: [{
      name: 'effect',
      // A full disk fails the effect's own write (ENOSPC, retriable): retried every half second
      // for 30 s, as a test waits for it, not after the default's first 60 s.
      retry: { delaysMs: Array(60).fill(500) },
      async run(ctx) {
        appendFileSync(dir + '/runs.log', ctx.idempotencyKey + '\\n');
        try {
          writeFileSync(dir + '/effects/' + ctx.idempotencyKey, String(ctx.event.id), { flag: 'wx' });
        } catch (err) {
          if (err.code !== 'EEXIST') throw err;
        }
        return { done: true };
      },
    }],
  }],
};
`;
}

export interface ServiceDir {
  dir: string;
  /** Idempotency keys that have an effect file. */
  effects(): string[];
}

export function makeServiceDir(options: { leaseMs?: number; server?: Record<string, unknown>; parent?: string } = {}): ServiceDir {
  const dir = mkdtempSync(join(options.parent ?? tmpdir(), 'webpig-faults-'));
  mkdirSync(join(dir, 'effects'));
  writeFileSync(join(dir, 'webpig.config.mjs'), configText(dir, options.leaseMs ?? 2000, options.server ?? {}));
  return { dir, effects: () => readdirSync(join(dir, 'effects')) };
}

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Set when the process exited (by itself or killed). */
  exited: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** The first `webpig listening on <url>` line's URL (serve/start only). */
  url: Promise<string>;
  stop(): Promise<void>;
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('WEBPIG_')) env[key] = value;
  return { ...env, WEBPIG_LOG_LEVEL: 'warn', ...extra };
}

/** Starts `webpig <args…> --db <db>` in the service dir. */
export function startServiceProcess(name: string, dir: string, db: string, args: string[]): ServiceProcess {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, '--db', db, ...args], {
    cwd: dir,
    env: cleanEnv({}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const proc: ServiceProcess = {
    name,
    child,
    output: () => output,
    exited: null,
    url: new Promise<string>((resolve, reject) => {
      // The JSON logs on stdout, the listening line on stderr: one output, in arrival order.
      const take = (chunk: string) => {
        output += chunk;
        const match = /webpig listening on (\S+)/.exec(output);
        if (match?.[1]) resolve(match[1]);
      };
      child.stdout!.setEncoding('utf8').on('data', take);
      child.stderr!.setEncoding('utf8').on('data', take);
      child.on('exit', () => reject(new Error(`${name} exited before listening:\n${output}`)));
    }),
    async stop() {
      if (proc.exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(hard);
    },
  };
  proc.url.catch(() => undefined);
  child.on('exit', (code, signal) => (proc.exited = { code, signal }));
  return proc;
}

/** Sends one signed delivery once; returns the HTTP status (0 when the connection failed). */
export async function deliverOnce(baseUrl: string, id: string, options: { padToBytes?: number } = {}): Promise<number> {
  const body = customBody({ id, entity: `order-${id}`, ...(options.padToBytes ? { padToBytes: options.padToBytes } : {}) });
  const signed = signCustom({ secret: TEST_SECRETS.custom, body });
  try {
    const response = await fetch(`${baseUrl}/webhooks/${SOURCE}`, { method: 'POST', headers: signed.headers, body: signed.body });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * Sends one signed delivery until it is acknowledged (2xx), as a provider retries: any other
 * answer or a network error is retried after `retryMs`. Returns the attempts it took.
 */
export async function deliverUntilAcknowledged(
  baseUrl: string,
  id: string,
  options: { retryMs?: number; maxAttempts?: number; padToBytes?: number } = {},
): Promise<number> {
  const body = customBody({ id, entity: `order-${id}`, ...(options.padToBytes ? { padToBytes: options.padToBytes } : {}) });
  const signed = signCustom({ secret: TEST_SECRETS.custom, body });
  const maxAttempts = options.maxAttempts ?? 200;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const response = await fetch(`${baseUrl}/webhooks/${SOURCE}`, { method: 'POST', headers: signed.headers, body: signed.body });
      await response.arrayBuffer();
      if (response.ok) return attempt;
    } catch {
      // The server may be restarting or the connection dropped: retry like a provider.
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 50));
  }
  throw new Error(`delivery ${id} was never acknowledged after ${maxAttempts} attempts`);
}
