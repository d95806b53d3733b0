/**
 * The CLI's exit codes, decided in one place (main.ts calls `exitCodeFor`):
 *   0  done;
 *   1  understood but not done: a missing database or event, a refused operation, an
 *      unreachable server, an event that ended dead (`retry --wait`);
 *   2  usage: an unknown option, a missing or malformed argument, an invalid config;
 *   130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM, as a shell reports a process they end.
 */
import { CommanderError } from 'commander';
import { errorMessage, isWebpigError, WebpigError } from '../core/errors.js';

/** A bad argument or option: one line, exit code 2. */
export class UsageError extends WebpigError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A signal (Ctrl-C, SIGTERM) stopped the command cleanly: one line, exit code 128 + its number. */
export class InterruptedError extends WebpigError {
  readonly exitCode: number;

  constructor(signal: NodeJS.Signals, message: string, options?: { cause?: unknown }) {
    super('INTERRUPTED', message, options);
    this.exitCode = signal === 'SIGINT' ? 130 : 143;
  }
}

/** The command was understood but could not be done: one line, exit code 1. */
export class CliFailure extends WebpigError {}

/** Codes of errors that mean "what you typed or configured is wrong". */
const USAGE_CODES = new Set([
  'USAGE',
  'INVALID_ARGUMENT',
  'BULK_TOO_LARGE',
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'CONFIG_LOAD_FAILED',
  'DATABASE_URL_INVALID',
  'DATABASE_SCHEMA_INVALID',
  'TOKEN_SCOPE_MISSING',
  'TOKEN_SCOPE_UNKNOWN',
  'TOKEN_NAME_MISSING',
  'RECONCILE_UNSUPPORTED',
]);

export function exitCodeFor(err: unknown): number {
  // Commander's own: 0 for --help and --version, otherwise a usage mistake.
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof InterruptedError) return err.exitCode;
  if (isWebpigError(err) && USAGE_CODES.has(err.code)) return 2;
  return 1;
}

/**
 * The one line (without the `webpig: ` prefix) and the exit code for an error that ended a
 * command; null line when commander has already printed it.
 */
export function describeFailure(err: unknown): { line: string | null; exitCode: number } {
  const line = err instanceof CommanderError ? null : errorMessage(err).replace(/^webpig: /, '');
  return { line, exitCode: exitCodeFor(err) };
}
