import { api } from './api.js';
import type { ReconciliationView } from './types.js';

/*
 * The sources' reconciliation state, shared by the line above the events and every event panel:
 * a page view asks the server once, not once per panel opened.
 */

/** How long the sources' reconciliation state is reused: opening panel after panel asks once. */
const REUSE_MS = 60_000;
let cached: { at: number; reply: Promise<ReconciliationView[]> } | null = null;

/** `/api/reconciliation`, asked at most once a minute by this page (a failed ask is not kept). */
export function reconciliationStates(now = Date.now()): Promise<ReconciliationView[]> {
  if (cached && now - cached.at < REUSE_MS) return cached.reply;
  const reply = api.reconciliation().then((page) => page.items);
  const entry = { at: now, reply };
  cached = entry;
  reply.catch(() => {
    if (cached === entry) cached = null;
  });
  return reply;
}
