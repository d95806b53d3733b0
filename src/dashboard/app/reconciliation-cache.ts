import { api } from './api.js';
import type { ReconciliationView } from './types.js';

/*
 * The sources' reconciliation state, shared by the line above the events and every event panel:
 * a page view asks the server once, not once per panel opened.
 */

/** How long the sources' reconciliation state is reused: opening panel after panel asks once. (Default: 60 s) */
const REUSE_MS = 60_000;
let cached: { at: number; reply: Promise<ReconciliationView[]> } | null = null;

/**
 * `/api/reconciliation`, asked at most once every `reuseMs` by this page (a failed ask is not
 * kept). The page's refreshes pass 0: what changed since (a run that recovered payments) shows,
 * and the panels opened next reuse that fresh answer.
 */
export function reconciliationStates(now = Date.now(), reuseMs = REUSE_MS): Promise<ReconciliationView[]> {
  if (cached && now - cached.at < reuseMs) return cached.reply;
  const reply = api.reconciliation().then((page) => page.items);
  const entry = { at: now, reply };
  cached = entry;
  reply.catch(() => {
    if (cached === entry) cached = null;
  });
  return reply;
}
