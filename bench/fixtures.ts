/**
 * What several benches need alike: a delivery of their own, and a PostgreSQL schema of their
 * own for the run (created, handed over, dropped).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
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

/** The middle value of `xs` (the upper one of an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * A base and a branch measured by `round` in turns, `rounds` times each, after one warm-up
 * round each; the order swaps every round so neither side always runs second.
 */
export function alternatingRounds(rounds: number, round: (side: 'base' | 'branch') => number): { base: number[]; branch: number[] } {
  const took = { base: [] as number[], branch: [] as number[] };
  round('base');
  round('branch');
  for (let r = 0; r < rounds; r++) {
    const order: Array<'base' | 'branch'> = r % 2 === 0 ? ['base', 'branch'] : ['branch', 'base'];
    for (const side of order) took[side].push(round(side));
  }
  return took;
}

/**
 * The `--base` tree of a bench that compares this tree's module with an older one's: a checkout
 * of the base commit (e.g. `git worktree add --detach ../base <commit>`). Exits with a usage
 * line when it is missing: there is no base to guess on another machine.
 */
export function baseTree(base: string | undefined, usage: string): string {
  if (base !== undefined && existsSync(`${base}/src`)) return base.replace(/\/$/, '');
  console.error(`${base === undefined ? 'missing --base' : `--base ${base}: no src/ there`}; usage: ${usage}`);
  process.exit(2);
}
