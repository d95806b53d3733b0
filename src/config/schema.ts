import { z } from 'zod';
import { authConfigSchema, DEFAULT_CLIENT_SECRET_ENV } from '../core/auth-config.js';
import { redactDatabaseUrl } from '../core/redaction.js';
import { parseDuration } from '../core/duration.js';
import { sourceConfigSchema, STRIPE_EVENTS_KEPT_DAYS } from '../core/source-config.js';
import { strictFields } from '../core/strict-fields.js';
import {
  alertsSchema,
  columnSchema,
  dashboardSchema,
  flagSchema,
  pipelineSchema,
  reconcileSettingsSchema,
  retentionSchema,
  serverSchema,
  workerSchema,
} from './sections.js';

/**
 * The one description of `webpig.config.ts`: every field, its default and every check, those
 * that look at one field and those that compare fields (a stage's flag must be declared, a
 * flag's `allowed` entry must be a role...). `WebpigConfig` (what users write) and the parsed
 * config are derived from it (src/config/types.ts); `resolveConfig` parses it once, at start.
 */

/** Names the environment variables' sources get (src/sources/env.ts), which may join the file's. */
const ENVIRONMENT_SOURCES = ['epayco', 'mercadopago', 'stripe'];

/** The sources: each one's shape, and no two of one name (each is `POST /webhooks/<name>`). */
export const sourceListSchema = z.array(sourceConfigSchema).superRefine((sources, ctx) => {
  const seen = new Set<string>();
  for (const [index, source] of sources.entries()) {
    if (seen.has(source.name)) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `duplicate source "${source.name}": the name is used twice; give each source its own`,
      });
    }
    seen.add(source.name);
  }
});

/** An event stores the name of the pipeline that took it; two of one name would be ambiguous. */
const pipelineListSchema = z.array(pipelineSchema).superRefine((pipelines, ctx) => {
  const seen = new Set<string>();
  for (const [index, pipeline] of pipelines.entries()) {
    if (seen.has(pipeline.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate pipeline "${pipeline.name}"` });
    seen.add(pipeline.name);
  }
});

const configShape = strictFields({
  /** Used when neither `--db` nor $WEBPIG_DATABASE_URL is given, which win over it. (Default: `sqlite:./webpig.db`) */
  database: z
    .string()
    .regex(/^\s*(sqlite:|postgres(ql)?:\/\/)/i, {
      error: (issue) =>
        `${JSON.stringify(redactDatabaseUrl(String(issue.input)))} is not a database URL: use sqlite:./file.db, sqlite::memory: or postgres://…`,
    })
    .optional(),
  /**
   * The sources that need more than a secret (custom senders, ePayco's validation URL…); the
   * WEBPIG_* provider variables add `epayco`, `mercadopago` and `stripe` (README.md), so a config
   * that takes only those leaves it out. (Default: [])
   */
  sources: sourceListSchema.default([]),
  pipelines: pipelineListSchema,
  columns: z.array(columnSchema).optional(),
  flags: z.array(flagSchema).optional(),
  auth: authConfigSchema.optional(),
  server: serverSchema.optional(),
  worker: workerSchema.optional(),
  alerts: alertsSchema.optional(),
  retention: retentionSchema.optional(),
  /**
   * Reconciliation with each provider's own records (docs/reconcile.md), per source name: every
   * worker lists the provider's payments or events of the last `lookBack` every `every`, and
   * creates the events whose webhooks never arrived. (Default: off for every source)
   */
  reconcile: z.record(z.string(), reconcileSettingsSchema).optional(),
  dashboard: dashboardSchema.optional(),
});

type ConfigShape = z.output<typeof configShape>;
type Check = (config: ConfigShape, ctx: z.RefinementCtx) => void;

/** Every stage's flag is declared under `flags`, and its column under `columns` when there are columns. */
const stagesNameDeclaredFlagsAndColumns: Check = (config, ctx) => {
  const flagKeys = new Set((config.flags ?? []).map((f) => f.key));
  const columnKeys = new Set((config.columns ?? []).map((c) => c.key));
  for (const [p, pipeline] of config.pipelines.entries()) {
    for (const [s, stage] of pipeline.stages.entries()) {
      const where = `pipeline "${pipeline.name}" stage "${stage.name}"`;
      if (stage.flag && !flagKeys.has(stage.flag)) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', p, 'stages', s, 'flag'],
          message: `${where} uses flag "${stage.flag}", which is not declared in flags; add { key: '${stage.flag}', description: '…' } to flags`,
        });
      }
      if (stage.column && config.columns && !columnKeys.has(stage.column)) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', p, 'stages', s, 'column'],
          message: `${where} names column "${stage.column}", which is not declared in columns (${[...columnKeys].join(', ') || 'none'})`,
        });
      }
    }
  }
};

/**
 * A flag's `allowed` entry that is not an e-mail, `token:<name>` or a role would lock everyone
 * out of that flag without a word; refuse it at start, listing the roles there are.
 */
const flagListsNameRoles: Check = (config, ctx) => {
  const roles = [...new Set(['admin', 'operator', 'viewer', ...Object.keys(config.auth?.roles ?? {})])];
  for (const [index, flag] of (config.flags ?? []).entries()) {
    for (const entry of flag.allowed ?? []) {
      if (/^[^@\s]+@[^@\s]+$/.test(entry) || /^token:\S+$/.test(entry) || roles.includes(entry)) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['flags', index, 'allowed'],
        message:
          `"${entry}" is not a role; the roles are ${roles.join(', ')}. ` +
          `Define it under auth.roles (e.g. ${JSON.stringify(entry)}: { members: ['someone@example.com'], scopes: ['events:read'] }), ` +
          'or name an e-mail address or token:<name>',
      });
    }
  }
};

/** `reconcile.<name>` must name a source, or nothing would ever be reconciled for it. */
const reconcileNamesSources: Check = (config, ctx) => {
  const names = new Set([...config.sources.map((s) => s.name), ...ENVIRONMENT_SOURCES]);
  for (const name of Object.keys(config.reconcile ?? {})) {
    if (names.has(name)) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['reconcile', name],
      message: `no source is named "${name}"; the sources are ${[...names].join(', ')}`,
    });
  }
};

/**
 * Stripe lists its events of the last 30 days only: a Stripe source's `lookBack` beyond that
 * cannot be listed, and a worker would cut every run's window and say so every round.
 */
const stripeLookBackWithinReach: Check = (config, ctx) => {
  // A provider's own name is its kind (the environment's sources); a file's source says its own.
  const kinds = new Map<string, string>([
    ...ENVIRONMENT_SOURCES.map((name) => [name, name] as const),
    ...config.sources.map((s) => [s.name, s.kind] as const),
  ]);
  for (const [name, settings] of Object.entries(config.reconcile ?? {})) {
    const lookBackMs = settings.lookBack === undefined ? null : parseDuration(settings.lookBack);
    if (kinds.get(name) !== 'stripe' || lookBackMs === null || lookBackMs <= STRIPE_EVENTS_KEPT_DAYS * 86_400_000) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['reconcile', name, 'lookBack'],
      message:
        `"${settings.lookBack}" reaches further back than Stripe keeps its events (${STRIPE_EVENTS_KEPT_DAYS} days), so no run could list it: ` +
        `set lookBack to ${STRIPE_EVENTS_KEPT_DAYS}d or less (a webhook lost longer ago cannot be found in Stripe's list)`,
    });
  }
};

/**
 * OpenID Connect returns to `<server.publicUrl>/auth/callback`, and cookies must be Secure when
 * that URL is https: without it there is no sign-in that can work, so refuse at start.
 */
const oidcHasPublicUrl: Check = (config, ctx) => {
  if (!config.auth?.oidc || config.server?.publicUrl) return;
  ctx.addIssue({
    code: 'custom',
    path: ['server', 'publicUrl'],
    message:
      'auth.oidc is set but server.publicUrl is not: set server.publicUrl to the URL people open webpig at ' +
      '(e.g. https://webpig.example.com); OpenID Connect returns to <server.publicUrl>/auth/callback',
  });
};

/**
 * The OpenID Connect client secret, in the file or in the variable `clientSecretEnv` names:
 * without it no sign-in can work. It needs the environment, so `withEnvironmentChecks` adds it
 * to the one parse, where it is listed with every other problem (it used to be checked after
 * the parse, so a config with a missing public URL and secret was refused twice).
 */
const oidcHasClientSecret =
  (env: NodeJS.ProcessEnv): Check =>
  (config, ctx) => {
    const oidc = config.auth?.oidc;
    if (!oidc || oidc.clientSecret) return;
    const variable = oidc.clientSecretEnv ?? DEFAULT_CLIENT_SECRET_ENV;
    if (env[variable]) return;
    ctx.addIssue({
      code: 'custom',
      path: ['auth', 'oidc', 'clientSecret'],
      message: `not set; put it in the environment variable ${variable}`,
    });
  };

/**
 * The checks that compare fields, run even when a field has its own issue (zod skips a refinement
 * after any, so a config with a typo in one field and an undeclared flag elsewhere was refused
 * twice, one problem at a time). On such a config a check may meet a field of the wrong type and
 * throw: that check then says nothing, since the field's own issue is already listed.
 */
function crossChecks(checks: readonly Check[]): Parameters<typeof configShape.superRefine> {
  return [
    (config, ctx) => {
      for (const check of checks) {
        try {
          check(config, ctx);
        } catch {
          // A field of the wrong shape, reported by its own issue.
        }
      }
    },
    { when: () => true },
  ];
}

/** The whole config: its shape and every check that compares its fields. */
export const configSchema = configShape.superRefine(
  ...crossChecks([
    stagesNameDeclaredFlagsAndColumns,
    flagListsNameRoles,
    oidcHasPublicUrl,
    reconcileNamesSources,
    stripeLookBackWithinReach,
  ]),
);

/**
 * The config for commands that only read stored data, parsed without its sources (their secrets
 * need not be set in an operator's shell): so `reconcile.<name>` cannot be checked against them.
 */
export const configWithoutSourcesSchema = configShape.superRefine(
  ...crossChecks([stagesNameDeclaredFlagsAndColumns, flagListsNameRoles, oidcHasPublicUrl]),
);

/** A config schema with the checks that read the environment (`env`), for `resolveConfig`'s one parse. */
export function withEnvironmentChecks<Schema extends typeof configSchema | typeof configWithoutSourcesSchema>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
): Schema {
  return schema.superRefine(...crossChecks([oidcHasClientSecret(env)])) as Schema;
}
