import type { KnownSources } from '../../engine/bulk-actions.js';
import type { ApiContext } from './context.js';

/**
 * The sources an events filter accepts (the list, its CSV export, the bulk actions): the configured
 * ones, and a source removed from the config after it received deliveries, while it still has
 * stored events; a name that never had any stays refused, with the names that are known.
 */

/** The sources with stored events that the config no longer has; none when the server was not told its sources. */
export async function removedSources(ctx: ApiContext): Promise<string[]> {
  if (ctx.sources === null) return [];
  const configured = new Set(ctx.sources);
  return (await ctx.store.listEventSources()).filter((source) => !configured.has(source));
}

/**
 * What `source` is checked against; null: any name (the server was not told its sources). The
 * store is read only for a name the config does not have, so the usual filters cost no query.
 */
export async function knownSourcesFor(ctx: ApiContext, source: string | undefined): Promise<KnownSources | null> {
  if (ctx.sources === null) return null;
  const removed = source === undefined || ctx.sources.includes(source) ? [] : await removedSources(ctx);
  return { configured: ctx.sources, removed };
}
