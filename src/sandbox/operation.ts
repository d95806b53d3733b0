import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { JsonObject } from '../core/types.js';
import { HttpError, errorBody } from '../core/http-errors.js';
import type { SandboxRecord, SandboxService, SandboxStore } from './sandbox-store.js';

/** What every service module gets from the plugin. */
export interface SandboxContext {
  store: SandboxStore;
  hangs: HangingRequests;
  now: () => Date;
}

export interface OperationReply {
  status: number;
  body: JsonObject;
}

export interface OperationSpec {
  service: SandboxService;
  operation: string;
  /**
   * Only for services whose real counterpart honours an Idempotency-Key: the same key gets
   * the same reply again, without a second effect. Leave undefined otherwise (WorldOffice).
   */
  idempotencyKey?: string | undefined;
  /** The effect, run in one transaction with the stored idempotency reply. */
  effect: () => OperationReply;
}

/**
 * Runs one simulated operation with whatever fault is pending for it:
 * - `error`: reply with the fault's status and do nothing;
 * - `timeout`: do nothing and never answer (until the client gives up or the server closes);
 * - `effect-then-fail`: do the effect, commit it, then reply with an error, the reply a
 *   caller sees when a real service commits and the connection drops before the answer.
 */
export async function runOperation(
  ctx: SandboxContext,
  request: FastifyRequest,
  reply: FastifyReply,
  spec: OperationSpec,
): Promise<FastifyReply> {
  const { store } = ctx;
  const fault = store.takeFault(spec.service, spec.operation);
  const what = `${spec.service}.${spec.operation}`;
  if (fault?.mode === 'error') {
    return reply.status(fault.status ?? 503).send(errorBody('SANDBOX_FAULT', `injected fault: ${what} failed before doing anything`));
  }
  if (fault?.mode === 'timeout') {
    const ended = await ctx.hangs.hang(reply);
    if (reply.raw.destroyed || reply.sent) return reply;
    // Closing the connection lets the server shut down without waiting for the client's keep-alive.
    if (ended === 'server-closing') reply.header('connection', 'close');
    return reply.status(504).send(errorBody('SANDBOX_TIMEOUT', `injected timeout: ${what} gave up`));
  }
  const result = store.transaction((): OperationReply & { replayed: boolean } => {
    const key = spec.idempotencyKey;
    const earlier = key ? store.storedReply(spec.service, spec.operation, key) : undefined;
    if (earlier) return { ...earlier, replayed: true };
    const fresh = spec.effect();
    if (key) store.storeReply(spec.service, spec.operation, key, fresh);
    return { ...fresh, replayed: false };
  });
  if (fault?.mode === 'effect-then-fail') {
    request.log.debug({ what }, 'sandbox: effect done, failing the reply on purpose');
    return reply
      .status(fault.status ?? 502)
      .send(errorBody('SANDBOX_FAULT_AFTER_EFFECT', `injected fault: ${what} was done, but the reply failed`));
  }
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}

export type HangEnd = 'client-gone' | 'max-hang' | 'server-closing';

/**
 * Requests held open by a `timeout` fault. Each waits until its client disconnects, at most
 * `maxHangMs`, and all are released when the server closes so shutdown never waits on them.
 */
export class HangingRequests {
  private readonly releases = new Set<(why: HangEnd) => void>();
  private readonly maxHangMs: number;

  constructor(maxHangMs: number) {
    this.maxHangMs = maxHangMs;
  }

  hang(reply: FastifyReply): Promise<HangEnd> {
    return new Promise((resolve) => {
      const release = (why: HangEnd): void => {
        clearTimeout(timer);
        reply.raw.off('close', onClientGone);
        this.releases.delete(release);
        resolve(why);
      };
      const onClientGone = (): void => release('client-gone');
      const timer = setTimeout(() => release('max-hang'), this.maxHangMs);
      reply.raw.on('close', onClientGone);
      this.releases.add(release);
    });
  }

  releaseAll(): void {
    for (const release of [...this.releases]) release('server-closing');
  }
}

/** Validates a body (or query) with zod; a failure is a 400 naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : what}: ${issue.message}`)
    .join('; ');
  throw new HttpError(400, 'INVALID_REQUEST', `invalid ${what}: ${problems}`);
}

/** The Idempotency-Key header, if the caller sent one. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  const key = Array.isArray(value) ? value[0] : value;
  if (key === undefined || key === '') return undefined;
  if (key.length > 255) throw new HttpError(400, 'INVALID_REQUEST', 'Idempotency-Key is longer than 255 characters');
  return key;
}

/** A positive integer id from a path parameter, or a 400. */
export function idParam(value: string, what: string): number {
  const id = Number(value);
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(id) || id <= 0) {
    throw new HttpError(400, 'INVALID_REQUEST', `${what} must be a positive integer, got "${value.slice(0, 40)}"`);
  }
  return id;
}

export function notFound(what: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', `${what} not found`);
}

/** A record's own fields, without the id and times the sandbox gave it (for updates). */
export function fieldsOf(record: SandboxRecord): JsonObject {
  const { id: _id, createdAt: _c, updatedAt: _u, ...data } = record;
  return data;
}
