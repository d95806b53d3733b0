import type { EventRecord, TransactionStatus } from '../../src/core/types.js';

/**
 * A stored event as a pipeline's `match` and `notApplicable` see it, from `source` with
 * `transactionStatus` and `payload`; the rest is a fresh queued event's (never claimed, no error).
 */
export function eventFrom(source: string, transactionStatus: TransactionStatus | null, payload: Record<string, string> = {}): EventRecord {
  const at = new Date(0);
  return {
    id: 1,
    source,
    providerEventId: 'p',
    entityKey: null,
    type: 't',
    transactionStatus,
    occurredAt: at,
    receivedAt: at,
    rawBody: Buffer.from(''),
    contentType: null,
    payload,
    summary: {},
    status: 'queued',
    pipeline: null,
    attempts: 0,
    manualRetries: 0,
    nextAttemptAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    lastError: null,
    ignoreReason: null,
    updatedAt: at,
    origin: 'webhook',
  };
}
