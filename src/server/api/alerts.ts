import { z } from 'zod';
import { HttpError } from '../http-errors.js';
import { replies, requiredReason, type ApiApp } from './contract.js';
import { requireScope, type ApiContext } from './context.js';
import { alertReply, alertsPage } from '../../core/wire/monitoring.js';
import { withPayments } from './alert-payment.js';

/**
 * Alerts as issues: list (open by default), acknowledge and mute, each audited. Listing only
 * reads: the conditions (stuck, retried, error rate, backlog) are stored by the workers' periodic
 * check (src/engine/alert-conditions.ts), never by a GET.
 */

const alertsQuery = z.object({
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  include: z.enum(['resolved'], { message: 'include must be "resolved" (or left out for open alerts only)' }).optional(),
});
const ackBody = z.object({ reason: requiredReason('NIT fixed in WorldOffice, retrying') }).strict();
/** (Default mute: 60 minutes; at most 30 days, so nothing is silenced and forgotten.) */
const muteBody = z
  .object({
    reason: requiredReason('restock arrives Monday'),
    minutes: z
      .number({ message: 'minutes must be a number of minutes, from 1 to 43200 (30 days)' })
      .int('minutes must be a whole number')
      .min(1, 'minutes must be at least 1')
      .max(43_200, 'minutes must be at most 43200 (30 days)')
      .default(60),
  })
  .strict();
/** Stored alerts have positive ids (pages before every alert was stored showed computed ones, negative). */
const alertParams = z.object({
  id: z.coerce
    .number({ message: 'alert id must be a positive integer' })
    .int('alert id must be a positive integer')
    .min(1, 'alert id must be a positive integer'),
});

export function registerAlertRoutes(app: ApiApp, ctx: ApiContext): void {
  app.get(
    '/api/alerts',
    {
      config: { rights: 'events:read' },
      schema: { summary: 'Alerts, open ones by default', querystring: alertsQuery, response: replies(alertsPage) },
    },
    async (request) => {
      requireScope(request, 'events:read');
      const { query } = request;
      // Open alerts by default: a resolved one needs nobody. `?include=resolved` shows history too.
      const page = await ctx.store.listAlerts({
        cursor: query.cursor ?? null,
        limit: query.limit,
        unresolvedOnly: query.include !== 'resolved',
      });
      // `computed` stays for older pages: every alert is stored now.
      const items = await withPayments(ctx, page.items);
      return { items: items.map((alert) => ({ ...alert, computed: false })), nextCursor: page.nextCursor };
    },
  );

  // Acknowledging says "seen, being handled": the alert stays open (it resolves when its cause is
  // gone) but is shown quiet, with who and why. Whoever may retry events may acknowledge.
  const ackSchema = { summary: 'Acknowledge an open alert, saying why', params: alertParams, body: ackBody, response: replies(alertReply) };
  app.post('/api/alerts/:id/ack', { config: { rights: 'events:retry' }, schema: ackSchema }, async (request) => {
    const principal = requireScope(request, 'events:retry');
    const {
      params: { id },
      body,
    } = request;
    const now = ctx.now();
    const result = await ctx.store.acknowledgeAlert({ id, actor: principal.email, reason: body.reason, now });
    if (result.status === 'not_found') throw new HttpError(404, 'NOT_FOUND', `alert ${id} does not exist`);
    if (result.status === 'resolved') throw new HttpError(409, 'ALERT_RESOLVED', `alert ${id} is already resolved: nothing to acknowledge`);
    if (result.status === 'already_acknowledged') {
      throw new HttpError(409, 'ALERT_ACKNOWLEDGED', `alert ${id} was already acknowledged by ${result.alert.acknowledgedBy ?? 'someone'}`);
    }
    await ctx.store.appendAudit({
      actor: principal.email,
      action: 'alert.ack',
      target: `alert:${id}`,
      remoteAddress: request.ip,
      at: now,
      details: { reason: body.reason, kind: result.alert.kind, subject: result.alert.subject, eventId: result.alert.eventId },
    });
    const [alert] = await withPayments(ctx, [result.alert]);
    return { alert: { ...alert!, computed: false } };
  });

  // Muting silences an open alert for a while: not forwarded to alerts.webhookUrl, shown quiet.
  const muteSchema = {
    summary: 'Mute an open alert for a while, saying why',
    params: alertParams,
    body: muteBody,
    response: replies(alertReply),
  };
  app.post('/api/alerts/:id/mute', { config: { rights: 'events:retry' }, schema: muteSchema }, async (request) => {
    const principal = requireScope(request, 'events:retry');
    const {
      params: { id },
      body,
    } = request;
    const now = ctx.now();
    const until = new Date(now.getTime() + body.minutes * 60_000);
    const result = await ctx.store.muteAlert({ id, actor: principal.email, reason: body.reason, until, now });
    if (result.status === 'not_found') throw new HttpError(404, 'NOT_FOUND', `alert ${id} does not exist`);
    if (result.status === 'resolved') throw new HttpError(409, 'ALERT_RESOLVED', `alert ${id} is already resolved: nothing to mute`);
    await ctx.store.appendAudit({
      actor: principal.email,
      action: 'alert.mute',
      target: `alert:${id}`,
      remoteAddress: request.ip,
      at: now,
      details: {
        reason: body.reason,
        minutes: body.minutes,
        until: until.toISOString(),
        kind: result.alert.kind,
        subject: result.alert.subject,
      },
    });
    const [alert] = await withPayments(ctx, [result.alert]);
    return { alert: { ...alert!, computed: false } };
  });
}
