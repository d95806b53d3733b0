import type { Command } from 'commander';
import type { CliDeps } from '../context.js';

export function register(program: Command, deps: CliDeps): void {
  program
    .command('migrate')
    .description('apply pending database migrations (also done on every start)')
    .action(async () => {
      const url = await deps.databaseUrl();
      const { openStore } = await import('../../store/open.js');
      const store = await openStore(url);
      try {
        await store.assertWritable();
        const { applied, current } = await store.migrate();
        deps.print(
          applied.length > 0
            ? `applied ${applied.length} migration(s): ${applied.join(', ')}; schema is at version ${current}`
            : `nothing to apply; schema is at version ${current}`,
        );
      } finally {
        await store.close();
      }
    });
}
