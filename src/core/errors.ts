/**
 * Typed errors. Every error webpig raises on purpose carries a stable string `code`, so
 * callers (HTTP layer, CLI, tests) branch on codes, never on message text.
 */

// Shared by every copy of webpig in a process (Symbol.for), unlike the classes themselves.
const WEBPIG_ERROR = Symbol.for('webpig.error');

export class WebpigError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, WEBPIG_ERROR, { value: true });
  }
}

/**
 * Whether `err` is a webpig error, of class `className` or a subclass of it when given.
 * `instanceof` is not enough: a stage in webpig.config.ts throws the PermanentError of the
 * copy of webpig that the config imported, and the CLI loads the config in its own module
 * namespace (tsx), so that class is not the CLI's class even when the file is the same.
 */
export function isWebpigError(err: unknown, className?: string): err is WebpigError {
  if (typeof err !== 'object' || err === null) return false;
  if (!(err instanceof WebpigError) && (err as { [WEBPIG_ERROR]?: unknown })[WEBPIG_ERROR] !== true) return false;
  if (className === undefined) return true;
  for (let proto: unknown = Object.getPrototypeOf(err); proto !== null && proto !== undefined; proto = Object.getPrototypeOf(proto)) {
    if ((proto as { constructor?: { name?: string } }).constructor?.name === className) return true;
  }
  return false;
}

/** A user mistake in configuration, a CLI argument or a URL: printed as one line, no stack. */
export class ConfigError extends WebpigError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'CONFIG_INVALID', message, options);
  }
}

/** The database schema is newer than this code, or a migration failed. */
export class MigrationError extends WebpigError {}

/** The store could not do what was asked (connection lost, constraint broken...). */
export class StoreError extends WebpigError {}

/**
 * A worker tried to write for an event it no longer holds (its lease expired and another
 * worker took over). The write is refused so two workers never both move one event forward.
 */
export class LeaseLostError extends WebpigError {
  constructor(eventId: number, owner: string) {
    super('LEASE_LOST', `event ${eventId} is no longer leased by ${owner}`);
  }
}

/** Thrown by a stage: retrying will not help (validation error, 4xx). The event goes dead. */
export class PermanentError extends WebpigError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'PERMANENT', message, options);
  }
}

/** Thrown by a stage: try again later, optionally not before `retryAfterMs`. */
export class RetriableError extends WebpigError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options?: { cause?: unknown; code?: string; retryAfterMs?: number }) {
    super(options?.code ?? 'RETRIABLE', message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
