import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebpigError } from '../core/errors.js';
import type { SandboxProcessMessage } from './sandbox-process-main.js';

/** The demo's sandbox, running in a process of its own (see sandbox-process-main.ts). */
export interface SandboxProcess {
  /** e.g. `http://127.0.0.1:41234`: the services are under `<url>/sandbox/...`. */
  url: string;
  pid: number;
  /** Resolves once the process has closed its server and exited. */
  stop(): Promise<void>;
}

export class SandboxProcessError extends WebpigError {}

/**
 * Node flags the process is run with, minus those that belong to this process only: the test
 * runner's, and a debugger's port (two processes cannot listen on one). `--import tsx` stays,
 * so a demo run from the sources runs its sandbox from the sources too.
 */
function childExecArgv(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith('--test') && !arg.startsWith('--inspect'));
}

/** sandbox-process-main.js next to this file (.ts when run from the sources). */
function entryPath(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./sandbox-process-main${extname(here)}`, import.meta.url));
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code ?? 'unknown'}`;
}

/**
 * Starts the sandbox process on `dbFile`'s sandbox database and waits until it listens.
 * `onUnexpectedExit` is called with a sentence if it exits before `stop()` asked it to.
 */
export function startSandboxProcess(options: {
  sandboxDbFile: string;
  host: string;
  onUnexpectedExit: (message: string) => void;
}): Promise<SandboxProcess> {
  const child: ChildProcess = fork(entryPath(), [options.sandboxDbFile, options.host], {
    execArgv: childExecArgv(),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid ?? 0;
  let stopping = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let ready = false;
    child.once('error', (err) => {
      if (!ready) reject(new SandboxProcessError('DEMO_SANDBOX_START', `the demo's sandbox process could not start: ${err.message}`));
    });
    child.on('message', (message: SandboxProcessMessage) => {
      if (message.type !== 'ready' || ready) return;
      ready = true;
      resolve({
        url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${message.port}`,
        pid,
        stop() {
          stopping = true;
          if (child.exitCode === null && child.signalCode === null && child.connected)
            child.send({ type: 'stop' } satisfies SandboxProcessMessage);
          return exited;
        },
      });
    });
    child.once('exit', (code, signal) => {
      const how = describeExit(code, signal);
      if (!ready) {
        reject(
          new SandboxProcessError(
            'DEMO_SANDBOX_START',
            `the demo's sandbox process (pid ${pid}) exited before it was ready (${how}); its error is printed above`,
          ),
        );
      } else if (!stopping) {
        options.onUnexpectedExit(`the demo's sandbox process (pid ${pid}) stopped unexpectedly (${how})`);
      }
    });
  });
}
