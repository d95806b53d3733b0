import { z } from 'zod';
import { eventRow } from './events.js';

/** GET /api/home (docs/api.md, "Home"): what needs attention, and today's and this week's money. */

export const money = z.object({ events: z.number().int(), amount: z.number() });

const sourceCount = z.object({ source: z.string(), events: z.number().int() });

export const periodSummary = z.object({
  since: z.date(),
  until: z.date(),
  /** received = invoiced + stagesOff + stuck + handled + inProgress + ignored; reversed is apart. */
  money: z.object({
    received: money,
    invoiced: money,
    stagesOff: money,
    stuck: money,
    handled: money,
    inProgress: money,
    ignored: money,
    reversed: money,
    otherCurrency: z.number().int(),
    /** Accepted payments in another currency (null: none given), most payments first; summed in their own currency. */
    otherCurrencies: z.array(money.extend({ currency: z.string().nullable() })),
  }),
  ignored: z.array(
    z.object({
      kind: z.enum(['no_pipeline', 'not_applicable', 'stale_transition', 'invalid_transition']).nullable(),
      events: z.number().int(),
    }),
  ),
  /** Deliveries refused (bad signature, malformed…) in the period: never stored as events. */
  rejected: z.number().int(),
  /** The same, per source address they were sent to (any name, also unknown ones), most first. */
  rejectedBySource: z.array(sourceCount),
  /**
   * Webhooks each source delivered in the period, each stored delivery once, most first, sources
   * with none left out; events reconciliation created are not counted. `configured: false`: a
   * source no longer in the config (named by its id), whose deliveries were stored all the same.
   */
  deliveries: z.array(sourceCount.extend({ configured: z.boolean() })),
  /** Events reconciliation created in the period: payments the provider has whose webhooks never arrived. */
  recovered: z.number().int(),
});

export const homeSummary = z.object({
  now: z.date(),
  timeZone: z.string(),
  currency: z.string(),
  attention: z.object({
    queued: z.number().int(),
    processing: z.number().int(),
    retrying: z.number().int(),
    dead: z.number().int(),
    deadUnhandled: z.number().int(),
    /** When the nearest automatic retry is due (past: overdue, no worker has taken it yet); null: none retrying. */
    nextRetryAt: z.date().nullable(),
  }),
  today: periodSummary,
  week: periodSummary,
  pinned: z.array(eventRow),
  /** Sources reconciliation has run for (GET /api/reconciliation has the details); empty: no payment is checked at a provider. */
  reconciledSources: z.array(z.string()),
  /** The reconciliation runs in progress (GET /api/reconciliation's runningSince/runningOn): until one ends, its source's figures are the last finished run's. */
  reconciling: z.array(z.object({ source: z.string(), runningSince: z.date(), runningOn: z.string().nullable() })),
});
