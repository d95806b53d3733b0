import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from './clean-env.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// Resolved here, not from the child's working directory (tests run the CLI from temp dirs).
const TSX = import.meta.resolve('tsx');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source in a child process, as a user would (no shell). */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const env = cleanEnv(options.env);
  const result = spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /**
   * Resolves with the first line matching `pattern`, on stdout or stderr (a server's
   * `webpig listening on …` is on stderr, its JSON logs on stdout); rejects if the process exits first.
   */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Everything it printed on stderr so far. */
  errorOutput(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts a long-running CLI command (serve, start, worker) from source in a child process. */
export function startCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const env = cleanEnv(options.env);
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: options.cwd, env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    waitForLine: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = [...stdout.split('\n'), ...stderr.split('\n')].find((candidate) => pattern.test(candidate));
          if (line === undefined) return false;
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          resolve(line);
          return true;
        };
        if (check()) return;
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        void exited.then(() => reject(new Error(`the CLI exited before printing ${pattern}: ${stderr}`)));
      }),
    output: () => stdout,
    errorOutput: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
