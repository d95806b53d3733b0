import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './clean-env.js';

const WORKER = fileURLToPath(new URL('./facturador-crash-worker.ts', import.meta.url));

/** How a crash worker ended: its exit code, or the signal that killed it (its own SIGKILL at the failpoint). */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs facturador-crash-worker.ts as its own process with `env` (its WEBPIG_DB, SANDBOX_BASE_URL,
 * WEBPIG_CRASH_AT and WEBPIG_CRASH_MARKER, over a clean environment: never the developer's
 * WEBPIG_*), until it exits.
 */
export function runFacturadorCrashWorker(env: Record<string, string>): Promise<WorkerExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: cleanEnv(env),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // A safety net only (a hung worker would otherwise hang the suite), not an assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal });
    });
  });
}
