import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { register as registerFlags } from './flags.js';
import { register as registerMigrate } from './migrate.js';

/** Every CLI command, in the order `webpig --help` lists them. */
export function registerCommands(program: Command, deps: CliDeps): void {
  registerMigrate(program, deps);
  registerFlags(program, deps);
}
