/**
 * `webpig verify`, run as a user would: the config and the deliveries module are taken from
 * docs/verify.md itself (so the guide cannot drift from what works), the stage writes to a real
 * HTTP ledger with no idempotency keys, and verify SIGKILLs its workers. With the stage's
 * `reconcile` it must PASS with every entry exactly once; without it (the seeds' incident) it
 * must FAIL and name the duplicated events — which the ledger's own records confirm.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { startEffectsServer, type EffectsServer } from '../helpers/effects-server.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** The CLI from source in a child process, without blocking this process (the ledger lives here). */
function runCliAsync(args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs?: number }) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env };
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const INDEX = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
const GUIDE = readFileSync(new URL('../../docs/verify.md', import.meta.url), 'utf8');

/** The fenced block of the guide whose first line is `// <file>`, importing this checkout's webpig. */
function snippet(file: string): string {
  const block = [...GUIDE.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string).find((b) => b.startsWith(`// ${file}\n`));
  assert.ok(block, `docs/verify.md has a ${file} block`);
  return block.replaceAll("from 'webpig'", `from ${JSON.stringify(INDEX)}`);
}

describe('webpig verify (the guide, run)', () => {
  let ledger: EffectsServer;
  let dir: string;
  const env = () => ({ LEDGER_URL: ledger.url, SHOP_WEBHOOK_SECRET: 'verify-test-secret' });

  before(async () => {
    ledger = await startEffectsServer();
    dir = mkdtempSync(path.join(tmpdir(), 'webpig-verify-test-'));
    // No package.json: a CommonJS-scoped project, as `npm init -y` makes (the loader the config uses).
    writeFileSync(path.join(dir, 'verify-deliveries.ts'), snippet('verify-deliveries.ts'));
  });
  after(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const verify = (config: string, args: string[]) => {
    writeFileSync(path.join(dir, 'webpig.config.ts'), config);
    return runCliAsync(['verify', '--deliveries', './verify-deliveries.ts', ...args], { cwd: dir, env: env(), timeoutMs: 240_000 });
  };

  it('passes with reconcile: every delivery kept, workers killed, every ledger entry exactly once', async () => {
    const result = await verify(snippet('webpig.config.ts'), ['--events', '12', '--kills', '8', '--seed', '7']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /seed 7/);
    assert.match(result.stdout, /12 new events/);
    const killed = /killed (\d+) worker processes with SIGKILL \((\d+) at a stage boundary, (\d+) mid-effect\)/.exec(result.stdout);
    assert.ok(killed && Number(killed[1]) >= 4, `workers were killed: ${result.stdout}`);
    assert.match(result.stdout, /events: 12 succeeded/);
    assert.match(result.stdout, /orders\/record_payment\s+12 succeeded\s+12 exactly once, 0 missing, 0 duplicated/);
    assert.match(result.stdout, /^PASS/m);
    const counts = [...ledger.countsBy('payments').values()];
    assert.equal(counts.length, 12, 'one reference per event');
    assert.ok(
      counts.every((n) => n === 1),
      'the ledger agrees: every entry once',
    );
  });

  it('fails without reconcile and names the duplicated events, as the ledger shows them', async () => {
    ledger.records.length = 0;
    const withoutReconcile = snippet('webpig.config.ts').replace(/^\s*reconcile: .*\n/m, '');
    assert.ok(!withoutReconcile.includes('reconcile:'), 'the guide shows the reconcile line to remove');
    // A slow ledger write leaves time for kills between the entry and webpig's outcome.
    const slow = withoutReconcile.replace(
      'if (!res.ok) throw new Error(`ledger answered ${res.status}`);',
      'if (!res.ok) throw new Error(`ledger answered ${res.status}`);\n            await new Promise((r) => setTimeout(r, 300));',
    );
    const result = await verify(slow, ['--events', '12', '--kills', '10', '--seed', '3']);
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^FAIL/m);
    const reported = /(\d+) duplicated/.exec(result.stdout.split('\n').find((l) => l.includes('orders/record_payment')) ?? '');
    const doubled = [...ledger.countsBy('payments').values()].filter((n) => n > 1).length;
    assert.ok(doubled > 0, 'the ledger holds duplicates');
    assert.equal(Number(reported?.[1]), doubled, 'verify reports exactly the events the ledger doubled');
    assert.match(result.stdout, /scratch database kept: sqlite:/);
  });

  it('a --deliveries module without a default function is a usage error (exit 2) that names it', async () => {
    writeFileSync(path.join(dir, 'not-a-factory.ts'), 'export const x = 1;\n');
    writeFileSync(path.join(dir, 'webpig.config.ts'), snippet('webpig.config.ts'));
    const result = await runCliAsync(['verify', '--deliveries', './not-a-factory.ts'], { cwd: dir, env: env() });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /--deliveries \.\/not-a-factory\.ts must export by default a function/);
  });

  it('a --deliveries file that is not there, or that imports a missing package, is one line without internal paths', async () => {
    writeFileSync(path.join(dir, 'webpig.config.ts'), snippet('webpig.config.ts'));
    const missing = path.join(dir, 'nonexistent.json');
    const absent = await runCliAsync(['verify', '--deliveries', missing], { cwd: dir, env: env() });
    assert.equal(absent.status, 2, absent.stderr);
    assert.equal(absent.stderr, `webpig: --deliveries: no such file: ${missing}\n`);
    writeFileSync(path.join(dir, 'needs-a-package.ts'), "import 'no-such-package-webpig-test';\nexport default () => ({});\n");
    const broken = await runCliAsync(['verify', '--deliveries', './needs-a-package.ts'], { cwd: dir, env: env() });
    assert.equal(broken.status, 2, broken.stderr);
    assert.equal(
      broken.stderr,
      "webpig: could not load --deliveries ./needs-a-package.ts: Cannot find module 'no-such-package-webpig-test'\n",
    );
  });
});
