import { z } from 'zod';
import { stageLabel } from './common.js';

/** GET /api/me and GET /api/config: who is calling, and how the page draws this server's pipelines. */

export const me = z.object({
  email: z.string(),
  name: z.string().nullable(),
  roles: z.array(z.string()),
  scopes: z.array(z.string()),
  kind: z.enum(['session', 'token', 'dev']),
  /** Sent back in `x-csrf-token` on every change made with a session cookie. */
  csrfToken: z.string().nullable(),
});

/** What a source is: one of the built-in providers, or a custom shared-secret HMAC source. */
export const sourceKind = z.enum(['epayco', 'mercadopago', 'stripe', 'custom']);

export const columnInfo = z.object({ key: z.string(), label: stageLabel, stages: z.array(z.string()) });

export const pipelineInfo = z.object({
  name: z.string(),
  /** What people read instead of the name; null: the name. */
  label: stageLabel.nullable(),
  /** Keys of the columns this pipeline's stages use, in the configured order. */
  columns: z.array(z.string()),
  stages: z.array(
    z.object({
      name: z.string(),
      label: stageLabel.nullable(),
      column: z.string().nullable(),
      /** Stages this one waits for (its `dependsOn`). */
      dependsOn: z.array(z.string()),
      /** Attempts its retry policy allows before the event is dead (retries + 1). */
      maxAttempts: z.number().int(),
      /** The flag that turns the stage off, if any. */
      flag: z.string().nullable(),
    }),
  ),
});

export const dashboardConfig = z.object({
  columns: z.array(columnInfo),
  pipelines: z.array(pipelineInfo),
  locale: z.string(),
  timeZone: z.string(),
  currency: z.string(),
  devLogin: z.boolean(),
  /** The configured webhook sources' names, which the source filter offers; null: the server was not told them (any name is accepted). */
  sources: z.array(z.string()).nullable(),
  /**
   * Each configured source's provider (`stripe_eu` → `stripe`), so the page names a built-in
   * provider however its source is called; null: the server was not told them.
   */
  sourceKinds: z.record(z.string(), sourceKind).nullable(),
  /**
   * Sources removed from the config that still have stored events: the source filter offers them
   * too, said to be no longer configured. Empty when the server was not told its sources.
   */
  removedSources: z.array(z.string()),
});
