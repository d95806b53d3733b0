/**
 * What the wire contract costs a reply: a full page of `GET /api/events` (500 rows, each with
 * six checkpoints of two attempts) serialized the way the API does it now — checked against its
 * zod schema and encoded (fastify-type-provider-zod's serializer) — beside the baseline measured
 * in the same run: plain JSON.stringify, what the routes did before they declared replies.
 *
 *   node --import tsx bench/api-replies.ts [--rows 500] [--rounds 200]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { eventsPage } from '../src/core/wire/events.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '500' }, rounds: { type: 'string', default: '200' } } });
const rows = Number(values.rows);
const rounds = Number(values.rounds);

const at = (minutes: number) => new Date(Date.UTC(2026, 11, 6, 10, minutes));
const attempt = (n: number) => ({
  attempt: n,
  status: 'success' as const,
  startedAt: at(n),
  completedAt: at(n + 1),
  durationMs: 812,
  error: null,
  note: null,
});
const checkpoint = (eventId: number, stage: string) => ({
  eventId,
  stage,
  status: 'success' as const,
  attempts: 2,
  startedAt: at(1),
  completedAt: at(3),
  durationMs: 1_624,
  data: { invoiceId: `INV-${eventId}`, lines: [{ sku: 'MUG', qty: 1 }] },
  error: null,
  skipReason: null,
  history: [attempt(1), attempt(2)],
  updatedAt: at(3),
});
const STAGES = ['frapp', 'crm_upsert', 'worldoffice_invoice', 'worldoffice_dian', 'cartera', 'ventas'];
const row = (id: number) => ({
  id,
  source: 'epayco',
  providerEventId: `ref-${id}`,
  entityKey: `pay-${id}`,
  type: 'payment',
  transactionStatus: 'accepted' as const,
  occurredAt: at(0),
  receivedAt: at(0),
  status: 'succeeded' as const,
  pipeline: 'facturador',
  attempts: 1,
  manualRetries: 0,
  nextAttemptAt: null,
  lastError: null,
  ignoreReason: null,
  failure: null,
  summary: {
    customer: { name: 'Ana Pérez', documentId: '1234567890', email: 'ana@example.com' },
    product: { name: 'Curso', id: 'C-1' },
    amount: 99_000,
    currency: 'COP',
    references: { invoice: `INV-${id}` },
  },
  updatedAt: at(3),
  origin: 'webhook' as const,
  columns: Object.fromEntries(STAGES.map((stage) => [stage, { state: 'success' as const, stages: [stage] }])),
  checkpoints: STAGES.map((stage) => checkpoint(id, stage)),
});
const page = { items: Array.from({ length: rows }, (_, i) => row(i + 1)), nextCursor: 'abc' };

const serialize = serializerCompiler({ schema: eventsPage, method: 'GET', url: '/api/events', httpStatus: '200' });
const time = (label: string, work: () => string) => {
  for (let i = 0; i < 10; i++) work(); // warm up
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    bytes = work().length;
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const p50 = samples[Math.floor(rounds / 2)] ?? 0;
  console.log(
    `  ${label.padEnd(34)} p50 ${p50.toFixed(2)} ms  p95 ${(samples[Math.floor(rounds * 0.95)] ?? 0).toFixed(2)} ms  (${bytes} bytes)`,
  );
  return p50;
};

console.log(
  `A page of ${rows} events with ${STAGES.length} checkpoints each, ${rounds} rounds; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const baseline = time('baseline: JSON.stringify', () => JSON.stringify(page));
const contract = time('schema-checked (zod encode + JSON)', () => serialize(page));
assert(serialize(page) === JSON.stringify(page), 'the same bytes either way');
console.log(
  `  ratio ${(contract / baseline).toFixed(2)}× the baseline; load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}
