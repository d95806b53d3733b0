/**
 * The OpenAPI description of the bulk actions (docs/api.md "Bulk actions"), merged into
 * OPENAPI_DOCUMENT by openapi.ts. Kept apart so that file stays readable.
 */

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
const errors = {
  '400': json(ref('Error'), 'Bad filter or body: the message names the field'),
  '401': json(ref('Error'), 'No or bad credentials'),
  '403': json(ref('Error'), 'Not allowed (scope or CSRF token)'),
};
const bulkScope = 'Needs scope `events:retry` for a retry, `stages:rerun` with `rerun`.';
const date = { type: 'string', format: 'date-time' };
const stageStatus = { type: 'string', enum: ['pending', 'processing', 'success', 'error', 'skipped'] };

export const BULK_PATHS = {
  '/api/bulk/preview': {
    post: {
      summary: 'What a bulk retry or re-run would do: the events and, for each, the stages that will run, be skipped, or are done',
      description: `${bulkScope} Changes nothing.`,
      requestBody: body('BulkRequest'),
      responses: { '200': json({ type: 'object', properties: { preview: ref('BulkPreview') } }), ...errors },
    },
  },
  '/api/bulk/run': {
    post: {
      summary: 'Do it: queue the events (only those listed in eventIds, if given) as their plans say',
      description: `${bulkScope} The reason is kept in the audit log and each event's history.`,
      requestBody: body('BulkRunRequest'),
      responses: { '200': json({ type: 'object', properties: { result: ref('BulkResult') } }), ...errors },
    },
  },
  '/api/events/{id}/stages/{stage}/rerun-preview': {
    get: {
      summary: 'What re-running this stage would do: it, and the stages it had blocked',
      description: 'Needs scope `stages:rerun`. Changes nothing.',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
        { name: 'stage', in: 'path', required: true, schema: { type: 'string' } },
      ],
      responses: { '200': json({ type: 'object', properties: { plan: ref('RunPlan') } }), ...errors, '404': json(ref('Error'), 'No such event or stage') },
    },
  },
} as const;

const bulkRequestProperties = {
  filter: {
    type: 'object',
    additionalProperties: false,
    properties: {
      status: { type: 'array', items: { type: 'string' }, description: 'Default: dead and retrying (retry); all but queued and processing (re-run)' },
      source: { type: 'string' },
      pipeline: { type: 'string' },
      stage: { type: 'string', description: 'Only events whose stage in error is this one' },
      code: { type: 'string', description: 'Only events with a failed stage (with `stage`: that stage) with this error code' },
      since: { ...date, description: 'receivedAt >= since' },
      until: { ...date, description: 'receivedAt < until' },
    },
  },
  rerun: { type: ['string', 'null'], description: 'Re-run this stage where it did not succeed, and the stages it had blocked' },
};

export const BULK_SCHEMAS = {
  BulkRequest: { type: 'object', additionalProperties: false, properties: bulkRequestProperties },
  BulkRunRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['reason'],
    properties: {
      ...bulkRequestProperties,
      reason: { type: 'string', minLength: 1, maxLength: 500 },
      eventIds: { type: 'array', items: { type: 'integer' }, maxItems: 1000, description: 'Act only on these (the preview the person saw, or a batch of it)' },
    },
  },
  PlannedStage: {
    type: 'object',
    required: ['stage', 'action', 'current'],
    properties: {
      stage: { type: 'string' },
      action: { type: 'string', enum: ['run', 'skip', 'done'] },
      current: stageStatus,
      cause: { type: 'string', enum: ['requested', 'follows', 'not_done'] },
      skipReason: { type: 'object' },
      conditional: { type: 'boolean', description: 'has a when() condition that may still skip it' },
    },
  },
  RunPlan: {
    type: 'object',
    properties: { stages: { type: 'array', items: ref('PlannedStage') }, reset: { type: 'array', items: { type: 'string' } }, runCount: { type: 'integer' } },
  },
  BulkPreview: {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['retry', 'rerun'] },
      rerun: { type: ['string', 'null'] },
      count: { type: 'integer' },
      stagesToRun: { type: 'integer' },
      events: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            eventId: { type: 'integer' }, status: { type: 'string' }, source: { type: 'string' }, pipeline: { type: ['string', 'null'] },
            receivedAt: date, customer: { type: ['string', 'null'] }, amount: { type: ['number', 'null'] }, currency: { type: ['string', 'null'] },
            failedStage: { type: ['string', 'null'] }, errorCode: { type: ['string', 'null'] }, plan: ref('RunPlan'),
          },
        },
      },
      excluded: {
        type: 'array',
        items: { type: 'object', properties: { reason: { type: 'string', enum: ['already_succeeded', 'in_queue', 'stage_not_in_pipeline'] }, count: { type: 'integer' } } },
      },
    },
  },
  BulkResult: {
    type: 'object',
    properties: {
      mode: { type: 'string', enum: ['retry', 'rerun'] },
      queued: { type: 'array', items: { type: 'object', properties: { eventId: { type: 'integer' }, stages: { type: 'array', items: { type: 'string' } } } } },
      refused: { type: 'array', items: { type: 'object', properties: { eventId: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } } },
    },
  },
} as const;
