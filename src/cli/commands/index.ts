import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { register as registerDemo } from './demo.js';
import { register as registerEvents } from './events.js';
import { register as registerFlags } from './flags.js';
import { register as registerLoginLink } from './login-link.js';
import { register as registerMigrate } from './migrate.js';
import { register as registerPurge } from './purge.js';
import { register as registerReconcile } from './reconcile.js';
import { register as registerRetry } from './retry.js';
import { register as registerServe } from './serve.js';
import { register as registerTokens } from './tokens.js';
import { register as registerVerify } from './verify.js';
import { register as registerWorker } from './worker.js';

/** Every CLI command, in the order `webpig --help` lists them. */
export function registerCommands(program: Command, deps: CliDeps): void {
  registerDemo(program, deps);
  registerServe(program, deps);
  registerWorker(program, deps);
  registerMigrate(program, deps);
  registerEvents(program, deps);
  registerRetry(program, deps);
  registerReconcile(program, deps);
  registerFlags(program, deps);
  registerTokens(program, deps);
  registerPurge(program, deps);
  registerLoginLink(program, deps);
  registerVerify(program, deps);
}
