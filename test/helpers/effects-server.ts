/**
 * A small real HTTP server standing in for the external systems a pipeline changes, so tests
 * can count side effects. Listens on 127.0.0.1, port 0.
 *
 * - POST /effects/<kind>  with an `Idempotency-Key` header: creates one record per key; the
 *   same key again returns the first record (what Stripe-like receivers do). No key → 400.
 * - POST /ledger/<kind>   body {"reference": "..."}: NO idempotency — every call creates a
 *   record (like the seeds' Strapi `create`). GET /ledger/<kind>?reference=R lists records with
 *   that reference, for a stage's `reconcile` look-up.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EffectRecord {
  id: number;
  kind: string;
  key: string | null;
  reference: string | null;
  body: unknown;
}

export interface EffectsServer {
  url: string;
  /** Every record created, in order. */
  records: EffectRecord[];
  /** Requests received, by kind (replays included). */
  calls: Map<string, number>;
  /** Records of `kind` per idempotency key or reference: every value should be 1. */
  countsBy(kind: string): Map<string, number>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : null;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startEffectsServer(): Promise<EffectsServer> {
  const records: EffectRecord[] = [];
  const calls = new Map<string, number>();
  const byKey = new Map<string, EffectRecord>();

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, area, kind] = url.pathname.split('/');
      if (!kind || (area !== 'effects' && area !== 'ledger')) return reply(res, 404, { error: 'not found' });
      if (req.method === 'GET' && area === 'ledger') {
        const reference = url.searchParams.get('reference');
        return reply(
          res,
          200,
          records.filter((r) => r.kind === kind && r.reference === reference),
        );
      }
      if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
      calls.set(kind, (calls.get(kind) ?? 0) + 1);
      const body = await readBody(req);
      if (area === 'effects') {
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string' || key === '') return reply(res, 400, { error: 'Idempotency-Key required' });
        const existing = byKey.get(`${kind}\n${key}`);
        if (existing) return reply(res, 200, { ...existing, replayed: true });
        const record: EffectRecord = { id: records.length + 1, kind, key, reference: null, body };
        records.push(record);
        byKey.set(`${kind}\n${key}`, record);
        return reply(res, 201, record);
      }
      const reference = (body as { reference?: unknown } | null)?.reference;
      if (typeof reference !== 'string') return reply(res, 400, { error: 'reference required' });
      const record: EffectRecord = { id: records.length + 1, kind, key: null, reference, body };
      records.push(record);
      return reply(res, 201, record);
    })().catch((err: unknown) => reply(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    records,
    calls,
    countsBy(kind) {
      const counts = new Map<string, number>();
      for (const r of records.filter((x) => x.kind === kind)) {
        const id = r.key ?? r.reference ?? '';
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return counts;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
