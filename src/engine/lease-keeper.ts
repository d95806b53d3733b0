import type { Logger } from 'pino';
import { LeaseLostError } from '../core/errors.js';
import type { WorkerStore } from '../store/store-roles.js';

/** A running event's lease keeper: `signal` aborts when the lease is lost; `stop` ends the renewals. */
export interface LeaseKeeper {
  signal: AbortSignal;
  stop: () => void;
}

/**
 * The lease keeper: renews one claimed event's lease every leaseMs/3 while it runs. Its
 * signal aborts with LeaseLostError when a renewal says the lease is someone else's, or when
 * renewals kept failing (a database hiccup) until the lease would have run out.
 */
export function keepLease(
  store: WorkerStore,
  eventId: number,
  owner: string,
  leaseMs: number,
  now: () => Date,
  logger: Logger,
): LeaseKeeper {
  const lease = new AbortController();
  let lastRenewal = Date.now();
  let renewing = false;
  const renew = setInterval(
    () => {
      if (renewing || lease.signal.aborted) return;
      renewing = true;
      store
        .renewLease(eventId, owner, leaseMs, now())
        .then(
          (held) => {
            if (held) lastRenewal = Date.now();
            else lease.abort(new LeaseLostError(eventId, owner));
          },
          (err: unknown) => {
            // A database hiccup is not a lost lease yet; it is once the lease has run out.
            logger.warn({ eventId, err: String(err) }, 'lease renewal failed');
            if (Date.now() - lastRenewal >= leaseMs) lease.abort(new LeaseLostError(eventId, owner));
          },
        )
        .finally(() => {
          renewing = false;
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  return { signal: lease.signal, stop: () => clearInterval(renew) };
}
