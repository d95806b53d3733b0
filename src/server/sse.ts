import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { CheckpointStatus, EventRecord, EventStatus } from '../core/types.js';
import type { OperatorStore } from '../store/store-roles.js';

/**
 * `GET /api/stream`: Server-Sent Events of event and checkpoint changes, for the dashboard.
 *
 * One change feed per server polls the store (every `pollMs`, and at once when the store
 * signals new work) while at least one client listens, and fans changes out to every
 * client. It looks at the events that can still change (queued, processing, retrying), the
 * newest ones, and those it saw unfinished last time (so it sees them finish), and compares
 * their `updatedAt` and their checkpoints with what it saw before. Messages only say what
 * changed (`{id, status}`, `{eventId, stage, status}`): the page refetches the details.
 */

export type ChangeMessage =
  | { type: 'event'; data: { id: number; status: EventStatus } }
  | { type: 'checkpoint'; data: { eventId: number; stage: string; status: CheckpointStatus } };

type Listener = (messages: ChangeMessage[]) => void;

const ACTIVE: EventStatus[] = ['queued', 'processing', 'retrying'];
/** Bound on what one tick reads, so a huge backlog cannot stall the feed. */
const ACTIVE_LIMIT = 500;
const RECENT_LIMIT = 100;

export interface ChangeFeedOptions {
  /** (Default: 500 ms) */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

export class ChangeFeed {
  private readonly listeners = new Set<Listener>();
  private readonly seenEvents = new Map<number, number>();
  private readonly seenCheckpoints = new Map<string, string>();
  private unfinished = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribeWake: (() => void) | null = null;
  private ticking: Promise<void> | null = null;
  private primed = false;
  private readonly pollMs: number;

  constructor(
    private readonly store: OperatorStore,
    private readonly options: ChangeFeedOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
  }

  /** Adds a listener; the feed runs while it has any. Returns the unsubscribe function. */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.timer) {
      // The first tick records the present without reporting it: clients load it themselves.
      if (!this.primed) await this.tick();
      this.timer = setInterval(() => void this.tick(), this.pollMs);
      this.timer.unref();
      this.unsubscribeWake = this.store.onWake(() => void this.tick());
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** True while it polls (it has listeners). */
  get running(): boolean {
    return this.timer !== null;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribeWake?.();
    this.unsubscribeWake = null;
    // Without listeners the feed forgets, and re-primes on the next subscription.
    this.primed = false;
    this.seenEvents.clear();
    this.seenCheckpoints.clear();
    this.unfinished.clear();
  }

  /** One poll; overlapping calls share the running one. */
  tick(): Promise<void> {
    this.ticking ??= this.poll()
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async poll(): Promise<void> {
    const [active, recent] = await Promise.all([
      this.store.listEvents({ status: ACTIVE }, { limit: ACTIVE_LIMIT }),
      this.store.listEvents({}, { limit: RECENT_LIMIT }),
    ]);
    const candidates = new Map<number, EventRecord>();
    for (const event of [...active.items, ...recent.items]) candidates.set(event.id, event);
    for (const id of this.unfinished) {
      if (candidates.has(id)) continue;
      const event = await this.store.getEvent(id);
      if (event) candidates.set(id, event);
    }
    const changed = new Set([...candidates.values()].filter((e) => this.seenEvents.get(e.id) !== e.updatedAt.getTime()));
    // A stage can finish without touching its event's row: unfinished events are always looked at.
    const watched = [...candidates.values()].filter((e) => changed.has(e) || ACTIVE.includes(e.status) || this.unfinished.has(e.id));
    const messages: ChangeMessage[] = [];
    const checkpoints = await this.store.getCheckpointsForEvents(watched.map((e) => e.id));
    for (const event of watched) {
      if (changed.has(event)) {
        this.seenEvents.set(event.id, event.updatedAt.getTime());
        messages.push({ type: 'event', data: { id: event.id, status: event.status } });
      }
      for (const checkpoint of checkpoints.get(event.id) ?? []) {
        const key = `${event.id}/${checkpoint.stage}`;
        const version = `${checkpoint.status}@${checkpoint.updatedAt.getTime()}`;
        if (this.seenCheckpoints.get(key) === version) continue;
        this.seenCheckpoints.set(key, version);
        messages.push({ type: 'checkpoint', data: { eventId: event.id, stage: checkpoint.stage, status: checkpoint.status } });
      }
    }
    this.unfinished = new Set([...candidates.values()].filter((e) => ACTIVE.includes(e.status)).map((e) => e.id));
    this.forgetOld(candidates);
    if (!this.primed) {
      this.primed = true;
      return;
    }
    if (messages.length > 0) for (const listener of this.listeners) listener(messages);
  }

  /** Keeps the memory bounded: forget events no longer among the candidates. */
  private forgetOld(candidates: Map<number, EventRecord>): void {
    if (this.seenEvents.size <= 4 * (ACTIVE_LIMIT + RECENT_LIMIT)) return;
    for (const id of this.seenEvents.keys()) if (!candidates.has(id)) this.seenEvents.delete(id);
    for (const key of this.seenCheckpoints.keys()) {
      if (!candidates.has(Number(key.split('/')[0]))) this.seenCheckpoints.delete(key);
    }
  }
}

export function formatSse(message: ChangeMessage): string {
  return `event: ${message.type}\ndata: ${JSON.stringify(message.data)}\n\n`;
}

/** (Default: 15 s) comments that keep proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * Registers GET /api/stream on `app` (authentication is the caller's hook's job). Streams
 * are ended when the server closes.
 */
/** `schema`: how the API describes the route in its OpenAPI document (src/server/api/openapi.ts). */
export function registerStreamRoute(
  app: FastifyInstance,
  feed: ChangeFeed,
  authorize: (request: FastifyRequest) => void,
  schema: FastifySchema = {},
): void {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const response of open) response.end();
    feed.stop();
  });

  app.get('/api/stream', { schema }, async (request, reply) => {
    authorize(request);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    open.add(response);
    let closed = false;
    let unsubscribe: (() => void) | null = null;
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    keepAlive.unref();
    response.on('close', () => {
      closed = true;
      clearInterval(keepAlive);
      unsubscribe?.();
      open.delete(response);
    });
    unsubscribe = await feed.subscribe((messages) => {
      for (const message of messages) response.write(formatSse(message));
    });
    if (closed) unsubscribe();
    // Sent after subscribing: a client that sees this line will not miss a later change.
    response.write('retry: 2000\n: connected\n\n');
  });
}
