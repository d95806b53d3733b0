/**
 * `webpig flags [--json]`, `webpig flags history KEY [--json]`, `webpig flags set KEY on|off
 * --reason TEXT`. Listing and history only read (no database is created, no flag is written);
 * a change requires a reason, kept in the flag's history and the audit log.
 */
import type { Command } from 'commander';
import type { ResolvedConfig } from '../../config/types.js';
import { singleText } from '../../core/texts.js';
import type { FlagRecord } from '../../core/types.js';
import type { CliDeps } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { cliFormats } from '../format.js';
import { ensureConfigFlags } from '../../service/start.js';
import { declaredCliActor, parsePositiveInt, withStore } from './cli-deps.js';

function parseBoolean(value: string): boolean {
  if (/^(on|true|1|yes)$/i.test(value)) return true;
  if (/^(off|false|0|no)$/i.test(value)) return false;
  throw new UsageError(`flag value must be on or off (got "${value}")`);
}

/** Stored flags, plus the config's flags no process has stored yet (shown with their default). */
function withConfigDefaults(stored: FlagRecord[], config: ResolvedConfig | null): Array<FlagRecord & { stored: boolean }> {
  const all = stored.map((flag) => ({ ...flag, stored: true }));
  for (const f of config?.flags ?? []) {
    if (stored.some((s) => s.key === f.key)) continue;
    all.push({
      key: f.key,
      value: f.default ?? true,
      description: singleText(f.description),
      updatedAt: new Date(0),
      updatedBy: null,
      stored: false,
    });
  }
  return all.sort((a, b) => a.key.localeCompare(b.key));
}

export function register(program: Command, deps: CliDeps): void {
  const flags = program.command('flags').description('list feature flags, their history, and change them');
  flags
    .command('list', { isDefault: true })
    .description('show every flag and its value')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = await deps.loadConfigForReading();
      const all = withConfigDefaults(await withStore(deps.openExistingStore, (store) => store.listFlags()), config);
      if (options.json) return deps.print(JSON.stringify(all, null, 2));
      if (all.length === 0) return deps.print('no flags');
      for (const flag of all) {
        const note = flag.stored ? '' : ' (its default: not stored until webpig starts)';
        deps.print(`${flag.value ? 'on ' : 'off'}  ${flag.key.padEnd(32)} ${flag.description}${note}`);
      }
    });
  flags
    .command('history')
    .description("a flag's changes, newest first: when, who, from, to, and why")
    .argument('<key>', 'flag key')
    .option('--limit <n>', 'how many (at most 500)', '50')
    .option('--json', 'print JSON')
    .action(async (key: string, options: { limit: string; json?: boolean }) => {
      const limit = Math.min(parsePositiveInt(options.limit, '--limit'), 500);
      const config = await deps.loadConfigForReading();
      const formats = cliFormats(config);
      const { stored, changes } = await withStore(deps.openExistingStore, async (store) => ({
        stored: await store.listFlags(),
        changes: (await store.flagHistory(key, { limit })).items,
      }));
      const flag = withConfigDefaults(stored, config).find((f) => f.key === key);
      if (!flag && changes.length === 0) throw new CliFailure('FLAG_UNKNOWN', `no flag "${key}" (see webpig flags)`);
      if (options.json) return deps.print(JSON.stringify(changes, null, 2));
      if (changes.length === 0) return deps.print(`${key} has never been changed (it is ${flag?.value ? 'on' : 'off'})`);
      for (const c of changes) {
        const from = c.oldValue === null ? 'new' : c.oldValue ? 'on' : 'off';
        deps.print(`${formats.time(c.at)}  ${from} -> ${c.newValue ? 'on' : 'off'}  ${c.actor}  ${c.reason ?? '(no reason given)'}`);
      }
    });
  flags
    .command('set <key> <value>')
    .description('turn a flag on or off (recorded in its history and the audit log, with the reason)')
    .requiredOption('--reason <text>', 'why, for the history (required)')
    .option('--actor <name>', 'on whose behalf: recorded beside your OS user, as cli:<os user> (as <name>) (Default: cli:<os user>)')
    .action(async (key: string, raw: string, options: { reason: string; actor?: string }) => {
      const value = parseBoolean(raw);
      const reason = options.reason.trim();
      if (!reason) throw new UsageError('--reason must say why (it is kept in the flag history)');
      const actor = declaredCliActor(options.actor);
      const config = await deps.loadConfigForReading();
      await withStore(
        () => deps.openExistingStore({ writes: true }),
        async (store) => {
          // A flag the config declares can be set before any server has started (after webpig migrate).
          if (config) await ensureConfigFlags(store, config);
          const now = new Date();
          const { change } = await store.setFlag({ key, value, actor, reason, now });
          await store.appendAudit({
            actor,
            action: 'flag.set',
            // The subject as the API writes it, so the audit's filter by flag finds both.
            target: `flag:${key}`,
            details: {
              from: change.oldValue,
              to: change.newValue,
              reason,
              via: 'cli',
              ...(options.actor ? { declaredActor: options.actor.trim() } : {}),
            },
            at: now,
          });
        },
      );
      deps.print(`${key} is now ${value ? 'on' : 'off'}`);
    });
}
