import { userInfo } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
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
  /** (Default: console.log) */
  print?: (line: string) => void;
  /** Recorded as creator and in the audit log. (Default: `cli:<os user>`) */
  actor?: string;
  now?: () => Date;
}

async function withStore<T>(deps: TokensCommandDeps, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await deps.openStore();
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
      try {
        parseScopes(options.scope);
      } catch (err) {
        throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
      }
      const { token, record } = await withStore(deps, (store) =>
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
      const records = await withStore(deps, (store) => store.listApiTokens());
      if (options.json) {
        print(JSON.stringify(records.map(({ tokenHash: _hash, ...rest }) => rest)));
        return;
      }
      if (records.length === 0) print('no tokens');
      for (const r of records) {
        const state = r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active';
        const used = r.lastUsedAt ? `last used ${r.lastUsedAt.toISOString()}` : 'never used';
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
      const revoked = await withStore(deps, async (store) => {
        const at = now();
        const done = await store.revokeApiToken(id, at);
        if (done) await store.appendAudit({ actor, action: 'token.revoke', target: `token:${id}`, at });
        return done;
      });
      if (!revoked) program.error(`webpig: no active token ${id}`, { exitCode: 1, code: 'TOKEN_NOT_FOUND' });
      print(`token ${id} revoked`);
    });
}
