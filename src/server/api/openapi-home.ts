/**
 * The OpenAPI description of GET /api/home and POST /api/events/{id}/handled (src/server/api/home.ts),
 * kept beside openapi.ts so that file stays readable; it uses openapi.ts's own helpers.
 */

type Schema = Record<string, unknown>;

export interface OpenApiHelpers {
  op: (summary: string, scope: string | null, response: Schema, extra?: Schema) => Schema;
  ref: (name: string) => Schema;
  json: (schema: Schema, description?: string) => Schema;
  pathParam: (name: string, schema?: Schema) => Schema;
}

const date = { type: 'string', format: 'date-time' };
const money = { type: 'object', properties: { events: { type: 'integer' }, amount: { type: 'number' } } };

export function homePaths({ op, ref, json, pathParam }: OpenApiHelpers): Record<string, Schema> {
  return {
    '/api/home': {
      get: op('What needs attention: counts by status, money today and this week (dashboard time zone and currency), dead events not handled', 'events:read', ref('Home')),
    },
    '/api/events/{id}/handled': {
      post: op('Mark a dead event as handled, with a reason (audited as event.handled, written to its logs); it stays dead', 'events:retry', {
        type: 'object',
        properties: {
          event: ref('EventRow'),
          handled: { type: 'object', properties: { at: date, by: { type: 'string' }, reason: { type: 'string' } } },
        },
      }, {
        parameters: [pathParam('id', { type: 'integer' })],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } } } },
        },
        responses: { '400': json(ref('Error'), 'No or bad reason'), '404': json(ref('Error'), 'No such event'), '409': json(ref('Error'), 'The event is not dead') },
      }),
    },
  };
}

const period = {
  type: 'object',
  properties: {
    since: date,
    until: date,
    money: {
      type: 'object',
      description: 'Accepted payments received in the period, in the dashboard currency: received = invoiced + stuck + inProgress + ignored',
      properties: { received: money, invoiced: money, stuck: money, inProgress: money, ignored: money, otherCurrency: { type: 'integer' } },
    },
    ignored: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: ['string', 'null'], enum: ['no_pipeline', 'not_applicable', 'stale_transition', 'invalid_transition', null] }, events: { type: 'integer' } } },
    },
    rejected: { type: 'integer', description: 'Deliveries refused at the door (within the newest 500 of that bounded log)' },
  },
};

export function homeSchemas({ ref }: Pick<OpenApiHelpers, 'ref'>): Record<string, Schema> {
  return {
    Home: {
      type: 'object',
      properties: {
        now: date,
        timeZone: { type: 'string' },
        currency: { type: 'string' },
        attention: {
          type: 'object',
          properties: Object.fromEntries(['queued', 'processing', 'retrying', 'dead', 'deadUnhandled'].map((k) => [k, { type: 'integer' }])),
        },
        today: period,
        week: period,
        pinned: { type: 'array', items: ref('EventRow'), description: 'Dead events nobody marked as handled since they last changed (newest 20)' },
      },
    },
  };
}
