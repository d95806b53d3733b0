import { spawn } from 'node:child_process';
import { cleanEnv } from './clean-env.js';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs `script` (a worker helper) as a child process with `env` and resolves on its exit. */
export function runWorkerProcess(env: Record<string, string>, script = 'test/helpers/crash-worker.ts'): Promise<WorkerExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: cleanEnv(env),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // A safety net only (a hung worker would otherwise hang the suite), not an assertion.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal });
    });
  });
}
