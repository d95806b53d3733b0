import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { closest } from '../core/strict-fields.js';
import { variablesReadFor } from './variables-read-for.js';

/**
 * The config's problems in words: each names its field (`server.port: expected a number from 0
 * to 65535`), the source it is in, and — for a value that is there but `undefined` — the likely
 * cause, an environment variable the file reads that is not set.
 */

/** Where the config came from, for messages. */
export interface ConfigOrigin {
  /** The file name shown in messages. */
  name: string;
  /** Environment variables the file reads that are not set, named in messages about undefined values. */
  unsetVariables?: string[];
  /** The file's text: a message names only the unset variables read for the undefined field. */
  source?: string;
  /** Sources from this index on were added from the WEBPIG_* environment variables, not written in the file. */
  environmentSourcesFrom?: number;
}

/** `process.env.NAME` and `process.env['NAME']` in the config's source that are not set. */
export function unsetEnvironmentVariables(source: string, env: NodeJS.ProcessEnv): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"]([^'"]+)['"]\s*\])/g)) {
    const name = match[1] ?? match[2];
    if (name !== undefined && env[name] === undefined) names.add(name);
  }
  return [...names].sort();
}

/** The value at `path` in the config as written, and whether its last key is present there. */
function lookUp(candidate: unknown, path: readonly PropertyKey[]): { present: boolean; value: unknown } {
  let parent: unknown = candidate;
  for (const key of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return { present: false, value: undefined };
    parent = (parent as Record<PropertyKey, unknown>)[key];
  }
  const last = path.at(-1);
  if (last === undefined || parent === null || typeof parent !== 'object') return { present: false, value: undefined };
  return { present: last in parent, value: (parent as Record<PropertyKey, unknown>)[last] };
}

/** What the items of a list are called in messages, and the field that names each. */
const NAMED_ITEMS: Record<string, { what: string; key: string }> = {
  sources: { what: 'source', key: 'name' },
  flags: { what: 'flag', key: 'key' },
  columns: { what: 'column', key: 'key' },
};

/**
 * `(source "stripe")`, `(flag "DIAN_ENABLED")`: for an issue inside a list's item, so the message
 * names it as well as its index (and says when a source came from the environment, not the file).
 */
function itemNote(issue: z.core.$ZodIssue, candidate: unknown, origin: ConfigOrigin): string {
  const [section, index] = issue.path;
  const item = typeof section === 'string' ? NAMED_ITEMS[section] : undefined;
  if (!item || typeof index !== 'number') return '';
  const name = lookUp(candidate, [section as string, index, item.key]).value;
  const named = typeof name === 'string' ? `${item.what} "${name}"` : item.what;
  const fromEnvironment = section === 'sources' && origin.environmentSourcesFrom !== undefined && index >= origin.environmentSourcesFrom;
  return fromEnvironment ? ` (${named}, from the WEBPIG_* environment variables)` : ` (${named})`;
}

/** One problem, named by its field. */
function formatIssue(issue: z.core.$ZodIssue, candidate: unknown, origin: ConfigOrigin): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
  const note = itemNote(issue, candidate, origin);
  if (issue.code === 'invalid_type' && issue.path.length > 0) {
    const { present, value } = lookUp(candidate, issue.path);
    if (!present) return `${path}: missing (expected ${issue.expected})${note}`;
    if (value === undefined) {
      return `${path}: is undefined (expected ${issue.expected}); an environment variable it is read from is probably not set${note}`;
    }
  }
  return `${path}: ${issue.message}${note}`;
}

/**
 * The unset variables the file reads for the field at `path` (`SHOP_WEBHOOK_SECRET` for
 * `sources.0.secrets.0`), not every unset one: optional ones (`OIDC_ISSUER`, a database URL that
 * has a default) are unset on purpose. Without the file's text: all of them.
 */
function unsetVariablesFor(path: readonly PropertyKey[], origin: ConfigOrigin): string[] {
  const unset = origin.unsetVariables ?? [];
  const key = path.findLast((segment): segment is string => typeof segment === 'string');
  if (origin.source === undefined) return unset;
  return key === undefined ? [] : variablesReadFor(origin.source, key, unset);
}

/** A field written under a near name (`pipeline:`) where a required one (`pipelines`) is missing. */
interface Rename {
  /** The issue of the unknown field, and of the missing one (left out of the message). */
  unknown: z.core.$ZodIssue;
  missing: z.core.$ZodIssue;
  from: string;
  to: string;
}

/**
 * `pipeline: [...]` for `pipelines: [...]` was two problems ("pipelines: missing" and "unknown
 * field pipeline"), both true, neither saying the one thing to do: rename it.
 */
function renamesOf(issues: readonly z.core.$ZodIssue[], candidate: unknown): Rename[] {
  const renames: Rename[] = [];
  for (const missing of issues) {
    const name = missing.path.at(-1);
    if (missing.code !== 'invalid_type' || typeof name !== 'string' || lookUp(candidate, missing.path).present) continue;
    const parent = missing.path.slice(0, -1).map(String).join('.');
    for (const unknown of issues) {
      if (unknown.code !== 'unrecognized_keys' || unknown.path.map(String).join('.') !== parent) continue;
      const from = unknown.keys.find((key) => closest(key, [name]) === name);
      if (from !== undefined) renames.push({ unknown, missing, from, to: name });
    }
  }
  return renames;
}

/** `(config): "pipeline" is not a field: rename it "pipelines" (required, and missing)`. */
function renameLine(renames: readonly Rename[], issue: z.core.$ZodIssue, candidate: unknown, origin: ConfigOrigin): string {
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
  const advice = renames.map(({ from, to, missing }) => {
    const value = lookUp(candidate, [...missing.path.slice(0, -1), from]).value;
    const list = missing.code === 'invalid_type' && missing.expected === 'array' && !Array.isArray(value) ? `, a list: ${to}: [ … ]` : '';
    return `"${from}" is not a field: rename it "${to}" (required, and missing${list})`;
  });
  const others = issue.code === 'unrecognized_keys' ? issue.keys.filter((key) => !renames.some((r) => r.from === key)) : [];
  const rest =
    others.length > 0
      ? `; and ${issue.message
          .split(', ')
          .filter((part) => others.some((key) => part.includes(`"${key}"`)))
          .join(', ')}`
      : '';
  return `${path}: ${advice.join('; ')}${rest}${itemNote(issue, candidate, origin)}`;
}

/** One ConfigError listing the first problems, each with its field path. */
export function configErrorOf(error: z.ZodError, candidate: unknown, origin: ConfigOrigin): ConfigError {
  const renames = renamesOf(error.issues, candidate);
  const issues = error.issues.filter((issue) => !renames.some((rename) => rename.missing === issue)).slice(0, 10);
  const lines = issues.map((issue) => {
    const own = renames.filter((rename) => rename.unknown === issue);
    return own.length > 0 ? renameLine(own, issue, candidate, origin) : formatIssue(issue, candidate, origin);
  });
  const missing = new Set(
    issues.filter((_, index) => lines[index]!.includes(': is undefined')).flatMap((issue) => unsetVariablesFor(issue.path, origin)),
  );
  const unsetVariables = [...missing].sort();
  const unset =
    unsetVariables.length > 0
      ? ` (${origin.name} reads ${unsetVariables.join(', ')}, which ${unsetVariables.length === 1 ? 'is' : 'are'} not set)`
      : '';
  return new ConfigError(`invalid configuration in ${origin.name}: ${lines.join('; ')}${unset}`);
}
