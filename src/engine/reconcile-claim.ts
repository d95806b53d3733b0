/**
 * One reconciliation run per source at a time, across workers and `webpig reconcile` run by
 * hand (docs/reconcile.md, "One run at a time"). A run claims the source in the store before it
 * reads where to resume, renews the claim while it runs and releases it at its end; a run that
 * finds another's live claim does not start (ReconcileBusyError). A run that died keeps its claim
 * until its lease ends, or no longer than that: at once when it ran on this machine and its
 * process is gone (a command killed mid-run).
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { WebpigError } from '../core/errors.js';
import type { ReconciliationHolder } from '../store/store.js';
import type { JobStore } from '../store/store-roles.js';

/** How long a claim lasts without renewal: a run that stops renewing has died or stalled. */
export const RUN_LEASE_MS = 60_000;

/** Another run holds the source: this one did not start, and changed nothing. */
export class ReconcileBusyError extends WebpigError {
  readonly holder: ReconciliationHolder;

  constructor(source: string, holder: ReconciliationHolder) {
    super(
      'RECONCILE_BUSY',
      `a run for ${source} started at ${holder.startedAt.toISOString()} is in progress; try again later ` +
        `(if it has died, its claim ends by ${holder.leaseUntil.toISOString()})`,
    );
    this.holder = holder;
  }
}

/** Another run took the source after this one's claim ran out (it stalled past its lease). */
export class ReconcileClaimLostError extends WebpigError {
  constructor(source: string) {
    super('RECONCILE_CLAIM_LOST', `the run for ${source} stalled past its claim and another run took the source; it stopped here`);
  }
}

export interface RunClaim {
  /** Who holds the source: every record the run writes names it, and is refused once another run holds it. */
  readonly owner: string;
  /** When the run claimed the source: its start, as other runs are told it. */
  readonly startedAt: Date;
  /** Aborts with ReconcileClaimLostError when a renewal finds another run holding the source. */
  readonly lost: AbortSignal;
  /** Stops renewing and lets the next run start at once. */
  release(): Promise<void>;
}

/** Claims `source` for a lease of `leaseMs` (Default: RUN_LEASE_MS), renewed three times a lease while the run goes on. */
export async function claimRun(store: JobStore, source: string, now: () => Date, leaseMs = RUN_LEASE_MS): Promise<RunClaim> {
  const owner = `${thisMachine() ?? 'unknown|unknown'}|${process.pid}|${randomUUID()}`;
  const startedAt = now();
  const claim = (replacing?: string) =>
    store.claimReconciliationRun({
      source,
      owner,
      now: startedAt,
      leaseUntil: new Date(startedAt.getTime() + leaseMs),
      ...(replacing ? { replacing } : {}),
    });
  let result = await claim();
  if (!result.claimed && holderProcessIsGone(result.holder.owner)) result = await claim(result.holder.owner);
  if (!result.claimed) throw new ReconcileBusyError(source, result.holder);
  const lost = new AbortController();
  // Three times a lease, so one slow or failed renewal does not lose it.
  const renewal = setInterval(() => {
    store.renewReconciliationRun(source, owner, new Date(now().getTime() + leaseMs)).then(
      (held) => {
        if (!held) lost.abort(new ReconcileClaimLostError(source));
      },
      () => undefined, // the store unreachable now: the next renewal tries again, well within the lease
    );
  }, leaseMs / 3);
  renewal.unref();
  return {
    owner,
    startedAt,
    lost: lost.signal,
    async release() {
      clearInterval(renewal);
      await store.releaseReconciliationRun(source, owner);
    },
  };
}

/**
 * This machine and process namespace (`host|pid:[…]`): a process id means the same process
 * only within both. Elsewhere than Linux there are no PID namespaces, so the host says it. Null
 * on a Linux whose namespace cannot be read: no claim is then taken over early, it ends with its lease.
 */
function thisMachine(): string | null {
  try {
    return `${hostname()}|${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return process.platform === 'linux' ? null : `${hostname()}|one-pid-space`;
  }
}

function holderProcessIsGone(owner: string): boolean {
  const [host, namespace, pid] = owner.split('|');
  const here = thisMachine();
  const id = Number(pid);
  if (here === null || `${host}|${namespace}` !== here || !Number.isInteger(id) || id <= 0) return false;
  try {
    process.kill(id, 0); // signal 0: only asks whether the process exists
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
