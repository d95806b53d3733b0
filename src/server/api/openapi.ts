/**
 * The OpenAPI 3.1 description of /api, served at GET /api/openapi.json. Hand-written to
 * mirror docs/api.md; test/server/api-monitoring.test.ts ('the OpenAPI document describes every
 * /api route…') checks that every registered /api route is described here, so the two cannot drift apart silently.
 */

import { BULK_PATHS, BULK_SCHEMAS } from './openapi-bulk.js';
import { homePaths, homeSchemas } from './openapi-home.js';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const page = (item: string): Schema => ({
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: ['string', 'null'] } },
});
const query = (name: string, schema: Schema, description?: string) => ({ name, in: 'query', required: false, schema, description });
const pathParam = (name: string, schema: Schema = { type: 'string' }) => ({ name, in: 'path', required: true, schema });
const cursorParams = [query('cursor', { type: 'string' }), query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 })];
const whoWhenParams = [
  query('actor', { type: 'string' }, 'who, exact e-mail'),
  query('since', { type: 'string', format: 'date-time' }, 'at or after (ISO with offset)'),
  query('until', { type: 'string', format: 'date-time' }, 'before (ISO with offset)'),
];

const errors = {
  '400': json(ref('Error'), 'Bad input'),
  '401': json(ref('Error'), 'No or bad credentials'),
  '403': json(ref('Error'), 'Not allowed (scope, flag list or CSRF token)'),
};

function op(summary: string, scope: string | null, response: Schema, extra: Schema = {}): Schema {
  return {
    summary,
    description: scope ? `Needs scope \`${scope}\`.` : 'Any signed-in caller.',
    responses: { '200': json(response), ...errors, ...((extra.responses as Schema | undefined) ?? {}) },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'responses')),
  };
}

const nullableDate = { type: ['string', 'null'], format: 'date-time' };
const date = { type: 'string', format: 'date-time' };
const eventStatuses = ['queued', 'processing', 'succeeded', 'retrying', 'dead', 'ignored'];
const columnStates = ['success', 'error', 'processing', 'skipped', 'not_run', 'not_applicable'];

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'webpig API',
    version: '0.1.0',
    description:
      'The JSON API of webpig, used by the Web Pig dashboard. Authenticate with the `webpig_session` cookie (send `x-csrf-token` on changes) or `Authorization: Bearer wp_…`.',
  },
  security: [{ session: [] }, { bearer: [] }],
  paths: {
    '/api/me': { get: op('Who is calling', null, ref('Me')) },
    '/api/config': { get: op('Dashboard configuration: columns, locale, time zone, currency', null, ref('DashboardConfig')) },
    '/api/openapi.json': { get: op('This document', null, { type: 'object' }) },
    '/api/events': {
      get: op('List events, newest first', 'events:read', page('EventRow'), {
        parameters: [
          query('status', { type: 'string' }, `Comma-separated: ${eventStatuses.join(', ')}`),
          query('source', { type: 'string' }),
          query('type', { type: 'string' }),
          query('transactionStatus', { type: 'string', enum: ['accepted', 'rejected', 'pending', 'reversed'] }),
          query('pipeline', { type: 'string' }, "Only this pipeline's events"),
          query('column', { type: 'string' }, 'A column key; with columnState, that column must be in that state'),
          query('columnState', { type: 'string', enum: columnStates }, 'Without column: any column in that state; error: a stage in error, or dead or retrying'),
          query('since', date, 'receivedAt >= since'),
          query('until', date, 'receivedAt < until'),
          query('q', { type: 'string' }, 'Free text over customer name, e-mail, document id, references'),
          ...cursorParams,
        ],
      }),
    },
    '/api/events/{id}': {
      get: op('One event with checkpoints, logs and its raw payload (redacted) as text', 'events:read', ref('EventDetail'), {
        parameters: [pathParam('id', { type: 'integer' })],
        responses: { '404': json(ref('Error'), 'No such event') },
      }),
    },
    '/api/events/{id}/retry': {
      post: op('Put a dead or retrying event back in the queue', 'events:retry', { type: 'object', properties: { event: ref('EventRow') } }, {
        parameters: [pathParam('id', { type: 'integer' })],
        requestBody: { required: false, content: { 'application/json': { schema: ref('ReasonRequest') } } },
        responses: { '404': json(ref('Error'), 'No such event'), '409': json(ref('Error'), 'Not dead or retrying') },
      }),
    },
    '/api/events/{id}/stages/{stage}/rerun': {
      post: op('Re-run one stage of an event', 'stages:rerun', { type: 'object', properties: { event: ref('EventRow') } }, {
        parameters: [pathParam('id', { type: 'integer' }), pathParam('stage')],
        requestBody: { required: false, content: { 'application/json': { schema: ref('ReasonRequest') } } },
        responses: { '404': json(ref('Error'), 'No such event or stage'), '409': json(ref('Error'), 'Event busy or without pipeline') },
      }),
    },
    ...BULK_PATHS,
    '/api/flags': {
      get: op('Flags, with whether the caller may change each', 'events:read', {
        type: 'object',
        properties: { items: { type: 'array', items: ref('Flag') } },
      }),
    },
    '/api/flags/{key}': {
      put: op('Change a flag (the caller must be on its list)', null, ref('Flag'), {
        parameters: [pathParam('key')],
        requestBody: { required: true, content: { 'application/json': { schema: ref('FlagChangeRequest') } } },
        responses: { '404': json(ref('Error'), 'No such flag') },
      }),
    },
    '/api/flags/{key}/history': {
      get: op('Changes of one flag, newest first', 'events:read', page('FlagChange'), {
        parameters: [pathParam('key'), ...whoWhenParams, ...cursorParams],
        responses: { '404': json(ref('Error'), 'No such flag') },
      }),
    },
    '/api/flag-history': {
      get: op('Changes of every flag, newest first, by flag, who and when', 'events:read', page('FlagChange'), {
        parameters: [query('key', { type: 'string' }, 'one flag only'), ...whoWhenParams, ...cursorParams],
        responses: { '400': json(ref('Error'), 'A bad date, or since not before until') },
      }),
    },
    '/api/alerts': {
      get: op('Open alerts (issues), newest first; checks the stuck/retried/error-rate/backlog conditions first', 'events:read', page('Alert'), {
        parameters: [...cursorParams, query('include', { type: 'string', enum: ['resolved'], description: 'also list resolved alerts' })],
      }),
    },
    '/api/alerts/{id}/mute': {
      post: op('Mute an open alert for a while, with a reason: not forwarded, shown quiet (audited as alert.mute)', 'events:retry', { type: 'object', properties: { alert: ref('Alert') } }, {
        parameters: [pathParam('id', { type: 'integer' })],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['reason'],
                properties: {
                  reason: { type: 'string', minLength: 1, maxLength: 500 },
                  minutes: { type: 'integer', minimum: 1, maximum: 43200, description: '(Default: 60)' },
                },
              },
            },
          },
        },
        responses: { '400': json(ref('Error'), 'No reason, or a bad duration'), '404': json(ref('Error'), 'No such alert'), '409': json(ref('Error'), 'Already resolved') },
      }),
    },
    '/api/alerts/{id}/ack': {
      post: op('Acknowledge an open stored alert, with a reason (audited as alert.ack)', 'events:retry', { type: 'object', properties: { alert: ref('Alert') } }, {
        parameters: [pathParam('id', { type: 'integer' })],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } } } },
        },
        responses: { '400': json(ref('Error'), 'No reason'), '404': json(ref('Error'), 'No such alert'), '409': json(ref('Error'), 'Already resolved or acknowledged') },
      }),
    },
    ...homePaths({ op, ref, json, pathParam }),
    '/api/metrics': {
      get: op('Per-stage success rate and durations; throughput over time', 'events:read', ref('Metrics'), {
        parameters: [query('since', date, '(Default: 24 hours ago)')],
      }),
    },
    '/api/audit': {
      get: op('Audit log: flag changes, retries, re-runs, tokens', 'audit:read', page('AuditEntry'), {
        parameters: [
          query('action', { type: 'string' }, 'exact, e.g. alert.mute'),
          query('target', { type: 'string' }, 'the subject exactly (alert:12), or everything under one ending in a colon (flag:)'),
          ...whoWhenParams,
          ...cursorParams,
        ],
        responses: { '400': json(ref('Error'), 'A bad date, or since not before until') },
      }),
    },
    '/api/rejections': {
      get: op('Deliveries refused at the door (bad signature, malformed...)', 'events:read', {
        type: 'object',
        properties: { items: { type: 'array', items: ref('Rejection') } },
      }, { parameters: [query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 100 })] }),
    },
    '/api/reconciliation': {
      get: op("Each reconciled source: when it was last reconciled, what it found, why it stopped", 'events:read', {
        type: 'object',
        properties: { items: { type: 'array', items: ref('Reconciliation') } },
      }),
    },
    '/api/stream': {
      get: {
        summary: 'Server-Sent Events: `event: event` {id, status} and `event: checkpoint` {eventId, stage, status}',
        description: 'Needs scope `events:read`.',
        responses: { '200': { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errors },
      },
    },
    '/api/webhooks/recent': {
      get: op("Recent events in the seeds' proposed checkpoint structure (compatibility)", 'events:read', {
        type: 'object',
        properties: { success: { type: 'boolean' }, webhooks: { type: 'array', items: ref('CompatWebhook') } },
      }, { parameters: [query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 50 })] }),
    },
    '/api/feature-flags': {
      get: op('Flags as a key → value map (compatibility)', 'events:read', {
        type: 'object',
        properties: { success: { type: 'boolean' }, flags: { type: 'object', additionalProperties: { type: 'boolean' } } },
      }),
    },
    '/api/feature-flags/{key}': {
      put: op('Change a flag (compatibility; same permission check)', null, { type: 'object' }, {
        parameters: [pathParam('key')],
        requestBody: { required: true, content: { 'application/json': { schema: ref('FlagChangeRequest') } } },
        responses: { '404': json(ref('Error'), 'No such flag') },
      }),
    },
  },
  components: {
    securitySchemes: {
      session: { type: 'apiKey', in: 'cookie', name: 'webpig_session' },
      bearer: { type: 'http', scheme: 'bearer', description: 'API token `wp_…` (webpig tokens create)' },
    },
    schemas: {
      ...BULK_SCHEMAS,
      ReasonRequest: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500, description: 'why; audited and shown in the event history' } } },
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      Me: {
        type: 'object',
        properties: {
          email: { type: 'string' },
          name: { type: ['string', 'null'] },
          roles: { type: 'array', items: { type: 'string' } },
          scopes: { type: 'array', items: { type: 'string' } },
          kind: { type: 'string', enum: ['session', 'token', 'dev'] },
          csrfToken: { type: ['string', 'null'] },
        },
      },
      DashboardConfig: {
        type: 'object',
        properties: {
          columns: { type: 'array', items: { type: 'object', properties: { key: { type: 'string' }, label: { type: ['string', 'object'] }, stages: { type: 'array', items: { type: 'string' } } } } },
          pipelines: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: { type: 'string' },
                columns: { type: 'array', items: { type: 'string' } },
                stages: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, label: { type: ['string', 'object', 'null'] }, column: { type: ['string', 'null'] }, dependsOn: { type: 'array', items: { type: 'string' } }, maxAttempts: { type: 'integer' }, flag: { type: ['string', 'null'] } } } },
              },
            },
          },
          locale: { type: 'string' },
          timeZone: { type: 'string' },
          currency: { type: 'string' },
          devLogin: { type: 'boolean' },
        },
      },
      ColumnCell: {
        type: 'object',
        properties: { state: { type: 'string', enum: columnStates }, stages: { type: 'array', items: { type: 'string' } } },
      },
      Checkpoint: {
        type: 'object',
        properties: {
          eventId: { type: 'integer' }, stage: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'processing', 'success', 'error', 'skipped'] },
          attempts: { type: 'integer' }, startedAt: nullableDate, completedAt: nullableDate,
          durationMs: { type: ['integer', 'null'] }, data: {}, error: { type: ['object', 'null'] },
          skipReason: { type: ['object', 'null'] }, history: { type: 'array', items: { type: 'object' } }, updatedAt: date,
        },
      },
      Summary: {
        type: 'object',
        description: 'What stages and the source know about the event; every field may be absent',
        properties: {
          customer: {
            type: 'object',
            properties: { name: { type: 'string' }, documentId: { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' } },
          },
          product: ref('ProductSummary'),
          amount: { type: 'number', description: "In the currency's major unit" },
          currency: { type: 'string' },
          references: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      ProductSummary: {
        type: 'object',
        properties: {
          name: { type: 'string' }, id: { type: 'string' }, category: { type: 'string' },
          price: { type: 'number', description: "List price in the currency's major unit (what was paid is the summary's amount)" },
        },
      },
      CompatWebhook: {
        type: 'object',
        description: "An event in the seeds' proposed structure; only the product and customer are detailed here",
        properties: {
          id: { type: 'integer' },
          customer: {
            type: 'object',
            properties: {
              name: { type: ['string', 'null'] }, cedula: { type: ['string', 'null'] },
              email: { type: ['string', 'null'] }, phone: { type: ['string', 'null'] },
            },
          },
          product: {
            type: 'object',
            properties: {
              name: { type: ['string', 'null'] }, id: { type: ['string', 'null'] }, category: { type: ['string', 'null'] },
              price: { type: ['number', 'null'], description: "The product's price; the event's amount when no stage knew it" },
              currency: { type: ['string', 'null'] },
            },
          },
        },
      },
      EventRow: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, source: { type: 'string' }, providerEventId: { type: 'string' },
          entityKey: { type: ['string', 'null'] }, type: { type: 'string' }, transactionStatus: { type: ['string', 'null'] },
          occurredAt: date, receivedAt: date, status: { type: 'string', enum: eventStatuses },
          pipeline: { type: ['string', 'null'] }, attempts: { type: 'integer' }, manualRetries: { type: 'integer' },
          nextAttemptAt: nullableDate, lastError: { type: ['object', 'null'] }, ignoreReason: { type: ['object', 'null'] },
          failure: { type: ['object', 'null'], description: 'Where and why it failed: { stage|null, error }' },
          summary: ref('Summary'), updatedAt: date,
          origin: { type: 'string', enum: ['webhook', 'reconciliation'], description: "'reconciliation': the webhook never arrived; found in the provider's records" },
          columns: { type: 'object', additionalProperties: ref('ColumnCell') },
          checkpoints: { type: 'array', items: ref('Checkpoint') },
        },
      },
      Reconciliation: {
        type: 'object',
        properties: {
          source: { type: 'string' }, lastStartedAt: nullableDate, lastFinishedAt: nullableDate,
          lastListed: { type: 'integer' }, lastRecovered: { type: 'integer' }, totalRecovered: { type: 'integer' },
          interrupted: { type: 'boolean', description: 'A run stopped midway; the next one resumes it' },
          lastError: { type: ['string', 'null'] },
        },
      },
      EventDetail: {
        type: 'object',
        properties: {
          event: ref('EventRow'),
          logs: { type: 'array', items: { type: 'object' } },
          exchanges: { type: 'array', items: { type: 'object' }, description: 'HTTP calls the stages made (ctx.http), redacted and capped' },
          raw: { type: 'string', description: 'The body as text, secrets redacted' },
        },
      },
      Flag: {
        type: 'object',
        properties: {
          key: { type: 'string' }, value: { type: 'boolean' }, description: { type: 'string' }, updatedAt: date,
          updatedBy: { type: ['string', 'null'] }, canChange: { type: 'boolean' }, reason: { type: ['string', 'null'] },
          allowed: { type: 'array', items: { type: 'string' }, description: 'Who may change it: roles, e-mails, token:<name>' },
        },
      },
      FlagChangeRequest: {
        type: 'object',
        required: ['value'],
        additionalProperties: false,
        properties: { value: { type: 'boolean' }, reason: { type: 'string', maxLength: 500 } },
      },
      FlagChange: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, key: { type: 'string' }, oldValue: { type: ['boolean', 'null'] }, newValue: { type: 'boolean' },
          actor: { type: 'string' }, reason: { type: ['string', 'null'] }, at: date,
        },
      },
      Alert: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, at: { ...date, description: 'first seen' }, kind: { type: 'string' },
          subject: { type: 'string', description: 'what it is about (event:79, stage:dian, sku:MUG, queue): one open alert per kind and subject' },
          occurrences: { type: 'integer' }, lastSeenAt: date, eventId: { type: ['integer', 'null'] },
          stage: { type: ['string', 'null'] }, message: { type: 'string' }, details: { type: ['object', 'null'] }, resolvedAt: nullableDate,
          acknowledgedAt: nullableDate, acknowledgedBy: { type: ['string', 'null'] }, ackReason: { type: ['string', 'null'] },
          mutedAt: nullableDate, mutedUntil: nullableDate, mutedBy: { type: ['string', 'null'] }, muteReason: { type: ['string', 'null'] },
          computed: { type: 'boolean', description: 'always false now (every alert is stored); kept for older clients' },
        },
      },
      Metrics: {
        type: 'object',
        properties: {
          since: date,
          stages: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                stage: { type: 'string' }, total: { type: 'integer' }, success: { type: 'integer' }, error: { type: 'integer' },
                successRate: { type: ['number', 'null'] }, p50Ms: { type: ['number', 'null'] }, p95Ms: { type: ['number', 'null'] },
              },
            },
          },
          throughput: {
            type: 'array',
            description: 'Per hour (per day beyond two days): received = succeeded + ignored + failed (dead) + inFlight',
            items: {
              type: 'object',
              properties: Object.fromEntries([['at', date], ...['received', 'succeeded', 'ignored', 'failed', 'inFlight'].map((k) => [k, { type: 'integer' }])]),
            },
          },
          stageDurations: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                stage: { type: 'string' },
                points: {
                  type: 'array',
                  items: { type: 'object', properties: { at: date, attempts: { type: 'integer' }, p50Ms: { type: ['number', 'null'] }, p95Ms: { type: ['number', 'null'] } } },
                },
              },
            },
          },
        },
      },
      ...homeSchemas({ ref }),
      AuditEntry: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, at: date, actor: { type: 'string' }, action: { type: 'string' }, target: { type: 'string' },
          details: { type: ['object', 'null'] }, remoteAddress: { type: ['string', 'null'] },
        },
      },
      Rejection: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, at: date, source: { type: 'string' }, httpStatus: { type: 'integer' }, reason: { type: 'string' },
          remoteAddress: { type: ['string', 'null'] }, firstBytes: { type: 'string' },
        },
      },
    },
  },
} as const;
