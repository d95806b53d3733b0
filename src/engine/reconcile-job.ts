/**
 * The worker's scheduled reconciliation (`reconcile.<source>` in the config): for each source,
 * a run shortly after start and then every `every`, listing the last `lookBack`. A run that
 * fails is logged and resumed by the next one from the page it reached; it never stops the
 * worker, and it writes one short insert at a time, so ingestion never waits on it. When
 * several workers run it, a worker skips a source another one started recently, or whose run
 * is still in progress (its claim: reconcile-claim.ts).
 */
import type { Logger } from 'pino';
import type { ReconcileSettings } from '../config/types.js';
import { parseDuration } from '../core/duration.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { ResolvedSourceConfig, SourceKind } from '../sources/config.js';
import type { Store } from '../store/store.js';
import { ReconcileBusyError, ReconcileClaimLostError } from './reconcile-claim.js';
import { reconcileSource } from './reconcile.js';
import { providerListFor } from './reconcile-lists.js';

export interface ReconcileJobOptions {
  store: Store;
  /** `reconcile` from the config: source name → settings. */
  settings: Readonly<Record<string, ReconcileSettings>>;
  /** The kind of each configured source, by name. */
  kinds: ReadonlyMap<string, SourceKind>;
  /** The configured sources: ePayco's customer id and test mode come from its own. (Default: none) */
  sources?: readonly ResolvedSourceConfig[];
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  /** Before the first run. (Default: 5 s — a restart loop must not become a listing loop) */
  firstDelayMs?: number;
  /** (Default: () => new Date()) */
  now?: () => Date;
}

export interface ReconcileJob {
  /** Stops the timers; a run in flight stops at once (its request cut), resumable by the next. */
  stop(): Promise<void>;
}

/** (Default every: 15 minutes; lookBack: 48 hours) */
export const DEFAULT_EVERY = '15m';
export const DEFAULT_LOOK_BACK = '48h';

/** How often the worker reconciles the source, in milliseconds. */
export function everyMsOf(settings: ReconcileSettings): number {
  return parseDuration(settings.every ?? DEFAULT_EVERY) ?? 15 * 60_000;
}

/** Logged when this worker's run lost its claim: the run is not left for later, it goes on elsewhere. */
export const CLAIM_LOST_LOG =
  'reconciliation stopped here: this run stalled past its claim and another run took the source; that run continues from the last page recorded';

/**
 * Throws a ConfigError naming what is wrong with a source's reconciliation: a source the service
 * does not have, one that cannot be reconciled, a missing credential. The service calls it before
 * it listens or claims anything, so a wrong setting stops the start instead of leaving a service
 * running without its reconciliation.
 */
export function checkReconcileSettings(options: Pick<ReconcileJobOptions, 'settings' | 'kinds' | 'sources' | 'env'>): void {
  for (const [source, settings] of Object.entries(options.settings)) {
    assertConfigured(source, options.kinds);
    providerListFor({
      source,
      kind: options.kinds.get(source) ?? null,
      settings,
      recordedApiBaseUrl: null,
      env: options.env,
      ...ownConfig(options, source),
    });
  }
}

export function startReconcileJob(options: ReconcileJobOptions): ReconcileJob {
  const controller = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const now = options.now ?? (() => new Date());
  checkReconcileSettings(options);
  for (const [source, settings] of Object.entries(options.settings)) {
    const everyMs = everyMsOf(settings);
    const lookBackMs = parseDuration(settings.lookBack ?? DEFAULT_LOOK_BACK) ?? 48 * 3_600_000;
    let busy = false;
    const round = () => {
      if (busy || controller.signal.aborted) return;
      busy = true;
      const run = runOnce(options, source, settings, { everyMs, lookBackMs, now, signal: controller.signal }).finally(() => {
        busy = false;
        running.delete(run);
      });
      running.add(run);
    };
    const first = setTimeout(round, Math.min(options.firstDelayMs ?? 5_000, everyMs));
    const timer = setInterval(round, everyMs);
    first.unref();
    timer.unref();
    timers.push(first, timer);
  }
  return {
    async stop() {
      controller.abort();
      for (const timer of timers) clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
  };
}

async function runOnce(
  options: ReconcileJobOptions,
  source: string,
  settings: ReconcileSettings,
  timing: { everyMs: number; lookBackMs: number; now: () => Date; signal: AbortSignal },
): Promise<void> {
  const { store, logger } = options;
  try {
    const state = await store.getReconciliationState(source);
    const recent = state?.lastStartedAt && timing.now().getTime() - state.lastStartedAt.getTime() < timing.everyMs / 2;
    // Another worker just ran it (one in flight holds a claim: reconcileSource refuses then).
    if (recent) return;
    const list = providerListFor({
      source,
      kind: options.kinds.get(source) ?? null,
      settings,
      recordedApiBaseUrl: state?.apiBaseUrl ?? null,
      env: options.env,
      ...ownConfig(options, source),
    });
    const result = await reconcileSource({
      store,
      source,
      list,
      since: new Date(timing.now().getTime() - timing.lookBackMs),
      signal: timing.signal,
      logger,
      now: timing.now,
    });
    if (result.created.length > 0) {
      logger.warn({ source, created: result.created.map((e) => e.id) }, 'reconciliation created events whose webhooks never arrived');
    }
  } catch (err) {
    // Another worker's run, or a command run by hand, holds the source: nothing to do this round.
    if (err instanceof ReconcileBusyError)
      logger.info({ source, startedAt: err.holder.startedAt }, 'reconciliation skipped: another run is in progress');
    // This run stalled past its claim and another (a worker, or the command) took the source: that
    // run reads this one's last recorded page and goes on from there. Nothing waits for a next run.
    else if (err instanceof ReconcileClaimLostError) logger.warn({ source, error: err.message }, CLAIM_LOST_LOG);
    else if (!timing.signal.aborted) logger.warn({ source, error: errorMessage(err) }, 'reconciliation failed; the next run resumes it');
  }
}

/** What configures a built-in source from the environment, for the message that asks for it. */
const ENVIRONMENT_SETTINGS: Readonly<Record<string, string>> = {
  stripe: 'WEBPIG_STRIPE_WEBHOOK_SECRET',
  mercadopago: 'WEBPIG_MERCADOPAGO_WEBHOOK_SECRET',
  epayco: 'WEBPIG_EPAYCO_CUSTOMER_ID and WEBPIG_EPAYCO_P_KEY',
};

/**
 * `reconcile.stripe` passes the config's check whether or not the environment configures the
 * built-in `stripe` source (an operator's shell need not hold its secret). The service knows:
 * without the source, no webhook of it is received and what reconciliation found would be
 * events no pipeline runs, so the start stops, saying what to set.
 */
function assertConfigured(source: string, kinds: ReadonlyMap<string, SourceKind>): void {
  if (kinds.has(source)) return;
  const fromEnvironment = ENVIRONMENT_SETTINGS[source];
  throw new ConfigError(
    `reconcile.${source}: no source named "${source}" is configured (the sources are ${[...kinds.keys()].join(', ') || 'none'}), ` +
      `so none of its webhooks is received and nothing found could run: ` +
      (fromEnvironment ? `set ${fromEnvironment} (the built-in ${source} source), ` : `add a source named "${source}", `) +
      `or remove reconcile.${source}`,
    { code: 'CONFIG_INVALID' },
  );
}

/** `{ sourceConfig }` of the configured source of this name, or nothing. */
function ownConfig(options: Pick<ReconcileJobOptions, 'sources'>, source: string): { sourceConfig?: ResolvedSourceConfig } {
  const sourceConfig = options.sources?.find((s) => s.name === source);
  return sourceConfig ? { sourceConfig } : {};
}
