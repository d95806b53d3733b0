import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { CliDeps } from '../context.js';
import { ensureConfigFlags } from '../service.js';

function parseBoolean(value: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new ConfigError(`flag value must be on or off (got "${value}")`, { code: 'INVALID_ARGUMENT' });
}

export function register(program: Command, deps: CliDeps): void {
  const flags = program.command('flags').description('list and change feature flags');
  flags
    .command('list', { isDefault: true })
    .description('show every flag and its value')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const store = await deps.openStore();
      try {
        const config = await deps.loadConfigIfAny();
        if (config) await ensureConfigFlags(store, config);
        const all = await store.listFlags();
        if (options.json) return deps.print(JSON.stringify(all, null, 2));
        if (all.length === 0) return deps.print('no flags');
        for (const flag of all) {
          deps.print(`${flag.value ? 'on ' : 'off'}  ${flag.key.padEnd(32)} ${flag.description}`);
        }
      } finally {
        await store.close();
      }
    });
  flags
    .command('set <key> <value>')
    .description('turn a flag on or off (recorded in its history and the audit log as the operator)')
    .option('--reason <text>', 'why, for the history')
    .option('--actor <name>', 'who is changing it', process.env.USER ? `cli:${process.env.USER}` : 'cli')
    .action(async (key: string, raw: string, options: { reason?: string; actor: string }) => {
      const value = parseBoolean(raw);
      const store = await deps.openStore();
      try {
        const now = new Date();
        const { change } = await store.setFlag({ key, value, actor: options.actor, reason: options.reason ?? null, now });
        await store.appendAudit({
          actor: options.actor,
          action: 'flag.set',
          target: key,
          details: { from: change.oldValue, to: change.newValue, reason: options.reason ?? null, via: 'cli' },
          at: now,
        });
        deps.print(`${key} is now ${value ? 'on' : 'off'}`);
      } finally {
        await store.close();
      }
    });
}
