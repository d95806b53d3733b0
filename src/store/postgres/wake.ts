import pg from 'pg';
import type { WakeListener } from '../store.js';
import type { Queryable } from './connection.js';
import { quoteIdent } from './connection.js';

/** Delay before reconnecting a dropped LISTEN connection, doubled after each failed try. (Default: 1 s) */
const RECONNECT_DELAY_MS = 1000;
/** The longest wait between reconnection tries while PostgreSQL stays unreachable. (Default: 30 s) */
const RECONNECT_DELAY_MAX_MS = 30_000;

/** Sends the wake-up; inside a transaction it is delivered only if (and when) that commits. */
export async function notifyWake(db: Queryable, channel: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, '']);
}

/**
 * One dedicated connection per store that LISTENs on the schema's wake channel and calls the
 * store's listeners. Started by the first listener, stopped with the last one. If the
 * connection drops it is re-established. Each time the LISTEN is (re-)established listeners
 * are called once, because notifications sent while it was not in place are lost.
 */
export class WakeHub {
  private readonly listeners = new Set<WakeListener>();
  private client: pg.Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Consecutive failed connection tries, for the backoff; reset once a LISTEN is in place. */
  private failures = 0;

  /**
   * `sentByUs` tells the store's own NOTIFYs (by the sending backend's pid): the store already
   * called its listeners after that commit, and the echo would only cost a claim round while
   * the event just claimed is starting its first stage.
   */
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly sentByUs: (backendPid: number) => boolean = () => false,
  ) {}

  subscribe(listener: WakeListener): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Resolves when the LISTEN is in place (for tests that must not miss the first NOTIFY). */
  listening: Promise<void> = Promise.resolve();

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stop();
    await this.listening.catch(() => undefined);
  }

  private start(): void {
    if (this.closed || this.client !== null) return;
    const client = new pg.Client(this.config);
    this.client = client;
    const dropped = (): void => {
      if (this.client !== client) return;
      this.client = null;
      client.end().catch(() => undefined);
      if (this.closed || this.listeners.size === 0) return;
      const delay = Math.min(RECONNECT_DELAY_MS * 2 ** this.failures, RECONNECT_DELAY_MAX_MS);
      this.failures += 1;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.start();
      }, delay);
      this.reconnectTimer.unref();
    };
    client.on('error', dropped);
    client.on('end', dropped);
    client.on('notification', (message) => {
      if (message.channel === this.channel && !this.sentByUs(message.processId)) this.emit();
    });
    this.listening = client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdent(this.channel)}`))
      .then(() => {
        this.failures = 0;
        // NOTIFYs sent before the LISTEN was in place (after a drop, or between subscribe() and
        // the first connect) were missed: wake everyone once. A spurious wake-up only costs a
        // claim attempt. Done before `listening` resolves, so whoever awaits it has seen it.
        this.emit();
      })
      .catch((err: unknown) => {
        dropped();
        throw err;
      });
    this.listening.catch(() => undefined);
  }

  private stop(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    client?.end().catch(() => undefined);
  }

  /** Calls every listener now (the store does this after its own wake-worthy commits). */
  emit(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch {
        // A listener's failure is its own; the others still get woken.
      }
    }
  }
}
