/**
 * One `httpCall` GET in a process of its own, for tests that need the process's trust store set
 * at start (NODE_EXTRA_CA_CERTS): prints `{ status, text }` or `{ error }` as one JSON line.
 *
 *   node --import tsx test/helpers/http-call-child.ts URL
 */
import { httpCall } from '../../src/core/http-call.js';

const url = process.argv[2] as string;
try {
  const reply = await httpCall(url, { method: 'GET', headers: {}, signal: AbortSignal.timeout(10_000) });
  console.log(JSON.stringify({ status: reply.status, text: reply.text }));
} catch (err) {
  console.log(JSON.stringify({ error: (err as Error).message }));
}
