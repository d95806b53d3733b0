import type { Command } from 'commander';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { createLoginLink, LOGIN_LINK_TTL_MS, UnknownPersonError, whyNotAllowed } from '../../server/auth/login-links.js';
import { createCliDeps, type CliDeps, type GlobalOptions } from '../context.js';
import { cliActor, UsageError, withStore } from './cli-deps.js';

/**
 * `webpig login-link <email>`: prints a one-time sign-in URL for a person the config names,
 * for teams without an identity provider. The URL alone goes to stdout (so
 * `url=$(webpig login-link ana@example.com)` works); what it is goes to stderr.
 */

interface LoginLinkOptions extends GlobalOptions {
  baseUrl?: string;
  json?: boolean;
}

const emailSchema = z.email();

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--base-url must be an absolute http(s) URL like https://webpig.example.com, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--base-url must start with http:// or https://, got "${value}"`);
  }
  return url.href;
}

export interface LoginLinkCommandDeps {
  now?: () => Date;
  /** (Default: stderr) */
  note?: (line: string) => void;
}

export function register(program: Command, deps: CliDeps, extra: LoginLinkCommandDeps = {}): void {
  program
    .command('login-link')
    .description('print a one-time sign-in URL (15 minutes, single use) for a person the config names')
    .argument('[email]', 'who signs in; the config (auth.roles members, auth.allowedDomains) gives their roles')
    .option('-c, --config <file>', 'config file (Default: ./webpig.config.ts or .js)')
    .option('--db <url>', 'database URL (Default: $WEBPIG_DATABASE_URL, else the config’s)')
    .option('--base-url <url>', 'where people open webpig (Default: server.publicUrl, else http://127.0.0.1:<server.port>)')
    .option('--json', 'print {url, email, roles, expiresAt} as JSON')
    .action(async (email: string | undefined, options: LoginLinkOptions) => {
      if (!email) throw new UsageError('which e-mail? usage: webpig login-link you@example.com');
      if (!emailSchema.safeParse(email).success) throw new UsageError(`"${email}" is not an e-mail address`);
      const baseOverride = options.baseUrl === undefined ? undefined : parseBaseUrl(options.baseUrl);
      const local = options.config !== undefined || options.db !== undefined ? overriding(program, options) : deps;
      // The reading config: an admin's shell has the database but not the webhook secrets
      // (docs/deploy.md), and a sign-in link needs only auth and server.
      const config = await local.loadConfigForReading();
      if (config === null) {
        throw new ConfigError('no webpig.config.ts (or .js) in this directory: login-link reads auth from it; pass --config FILE', {
          code: 'CONFIG_NOT_FOUND',
        });
      }
      const { auth } = config;
      const baseUrl = config.server?.publicUrl ?? baseOverride ?? `http://127.0.0.1:${config.server?.port ?? 3000}`;
      const note = extra.note ?? ((line: string) => process.stderr.write(`${line}\n`));
      // Checked before the database is opened: a refused e-mail creates and changes nothing.
      const refusal = whyNotAllowed(auth, email.toLowerCase());
      if (refusal) return refuse(note, new UnknownPersonError(refusal));
      try {
        const link = await withStore(local, (store) =>
          createLoginLink(store, auth, { email, baseUrl, createdBy: cliActor(), now: (extra.now ?? (() => new Date()))() }),
        );
        if (options.json) {
          local.print(JSON.stringify({ url: link.url, email: link.email, roles: link.roles, expiresAt: link.expiresAt.toISOString() }));
          return;
        }
        note(`Sign-in link for ${link.email} (roles: ${link.roles.join(', ')}); works once, for ${LOGIN_LINK_TTL_MS / 60_000} minutes:`);
        // Guessed from server.port: a server started with --port N (or behind a proxy) is elsewhere.
        if (config.server?.publicUrl === undefined && baseOverride === undefined) {
          note(`(for a server at ${baseUrl}, from server.port; if it listens elsewhere, e.g. webpig start --port N, pass --base-url)`);
        }
        local.print(link.url);
      } catch (err) {
        if (!(err instanceof UnknownPersonError)) throw err;
        refuse(note, err);
      }
    });
}

/**
 * Not a usage mistake: the command was right, the config says no. Exit 1, nothing stored; one
 * line like every other error's (the code is the error's, for callers of the API, not a suffix).
 */
function refuse(note: (line: string) => void, err: UnknownPersonError): void {
  note(`webpig: ${err.message}`);
  process.exitCode = 1;
}

/** The command's own --config/--db win over the global ones (`webpig login-link a@b --db …`). */
function overriding(program: Command, options: LoginLinkOptions): CliDeps {
  return createCliDeps(() => {
    const global = program.opts<GlobalOptions>();
    return { config: options.config ?? global.config, db: options.db ?? global.db };
  });
}
