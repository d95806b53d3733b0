import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import type { ResolvedConfig } from '../../config/types.js';
import { CliFailure, UsageError } from '../errors.js';
import { cliFormats } from '../format.js';
import type { Store } from '../../store/store.js';
import { API_SCOPES } from '../../server/auth/config.js';
import { createApiToken, parseScopes } from '../../server/auth/tokens.js';

/**
 * `webpig tokens create|list|revoke`: API tokens for machines. The token is printed once, at
 * creation; only its sha256 is stored.
 */

export interface TokensCommandDeps {
  /** Opens the configured, migrated store; the command closes it when done. */
  openStore(): Promise<Store>;
  /** The same, for `tokens list` and `revoke`: never creates a database. (Default: openStore) */
  openExistingStore?(options?: { writes?: boolean }): Promise<Store>;
  /** For the time zone times are shown in (src/cli/format.ts). (Default: no config) */
  loadConfigForReading?(): Promise<ResolvedConfig | null>;
  /** (Default: console.log) */
  print?: (line: string) => void;
  /** Recorded as creator and in the audit log. (Default: `cli:<os user>`) */
  actor?: string;
  now?: () => Date;
}

async function withStore<T>(open: () => Promise<Store>, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await open();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

export function register(program: Command, deps: TokensCommandDeps): void {
  const print = deps.print ?? ((line: string) => console.log(line));
  const now = deps.now ?? (() => new Date());
  const actor = deps.actor ?? `cli:${userInfo().username}`;
  const tokens = program.command('tokens').description('API tokens for machines (scopes: ' + API_SCOPES.join(', ') + ')');

  tokens
    .command('create')
    .description('create a token and print it once')
    .requiredOption('--name <name>', 'what the token is for, e.g. "erp-sync"')
    .option('--scope <scope...>', `scopes (repeat or comma-separate): ${API_SCOPES.join(', ')}`, collect, [])
    .option('--json', 'print {id, name, scopes, token} as JSON')
    .action(async (options: { name: string; scope: string[]; json?: boolean }) => {
      // Checked before the database is opened: a typo creates nothing.
      if (options.scope.length === 0) {
        throw new UsageError(`--scope is required: give one or more of ${API_SCOPES.join(', ')} (e.g. --scope events:read)`);
      }
      try {
        parseScopes(options.scope);
      } catch (err) {
        throw new UsageError(`--scope: ${err instanceof Error ? err.message : String(err)}`);
      }
      const { token, record } = await withStore(deps.openStore, (store) =>
        createApiToken(store, { name: options.name, scopes: options.scope, createdBy: actor, now: now() }),
      );
      if (options.json) {
        print(JSON.stringify({ id: record.id, name: record.name, scopes: record.scopes, token }));
        return;
      }
      print(`token ${record.id} "${record.name}" (${record.scopes.join(', ')}):`);
      print(token);
      print('Store it now: it is not shown again.');
    });

  tokens
    .command('list')
    .description('list tokens (never the tokens themselves)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const formats = cliFormats((await deps.loadConfigForReading?.()) ?? null);
      const records = await withStore(deps.openExistingStore ?? deps.openStore, (store) => store.listApiTokens());
      if (options.json) {
        print(JSON.stringify(records.map(({ tokenHash: _hash, ...rest }) => rest)));
        return;
      }
      if (records.length === 0) print('no tokens');
      for (const r of records) {
        const state = r.revokedAt ? `revoked ${formats.time(r.revokedAt)}` : 'active';
        const used = r.lastUsedAt ? `last used ${formats.time(r.lastUsedAt)}` : 'never used';
        print(`${r.id}\t${r.name}\t${r.scopes.join(',')}\t${state}\t${used}\tcreated by ${r.createdBy}`);
      }
    });

  tokens
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'token id (see `webpig tokens list`)', (value) => {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError('the id is a number');
      return Number(value);
    })
    .action(async (id: number) => {
      const openExisting = deps.openExistingStore;
      const revoked = await withStore(openExisting ? () => openExisting({ writes: true }) : deps.openStore, async (store) => {
        const at = now();
        const done = await store.revokeApiToken(id, at);
        if (done) await store.appendAudit({ actor, action: 'token.revoke', target: `token:${id}`, at });
        return done;
      });
      if (!revoked) throw new CliFailure('TOKEN_NOT_FOUND', `no active token ${id} (see webpig tokens list)`);
      print(`token ${id} revoked`);
    });
}
