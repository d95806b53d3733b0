/**
 * What several benches need alike: a delivery of their own, and a PostgreSQL schema of their
 * own for the run (created, handed over, dropped).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { NewEvent } from '../src/store/store.js';

/** A bench delivery: source `bench`, no entity (so no ordering between events), id `<prefix>-<i>`. */
export const benchDelivery = (i: number, prefix: string): NewEvent => ({
  source: 'bench',
  providerEventId: `${prefix}-${i}`,
  entityKey: null,
  type: 'payment.updated',
  transactionStatus: 'accepted',
  occurredAt: new Date(),
  receivedAt: new Date(),
  rawBody: Buffer.from(`{"i":${i}}`),
  contentType: 'application/json',
  payload: { i },
  summary: {},
});

/** `n` bench deliveries `<prefix>-0` … `<prefix>-(n-1)`. */
export const benchDeliveries = (n: number, prefix: string): NewEvent[] => Array.from({ length: n }, (_, i) => benchDelivery(i, prefix));

/** A bench's own schema: its name, a URL that opens a store in it, the connection that made it. */
export interface BenchSchema {
  schema: string;
  schemaUrl: string;
  admin: pg.Client;
}

/** Runs `run` in a fresh schema `<prefix>_<random>` on `url`, and drops it afterwards, whatever happened. */
export async function withPostgresSchema<T>(url: string, prefix: string, run: (target: BenchSchema) => Promise<T>): Promise<T> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const schemaUrl = new URL(url);
    schemaUrl.searchParams.set('schema', schema);
    return await run({ schema, schemaUrl: schemaUrl.toString(), admin });
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}
