/**
 * `webpig retry ID` and `webpig retry --status dead`: put events back in the queue. They
 * resume from their checkpoints; nothing that succeeded runs again. Deps: see cli-deps.ts.
 */
import type { Command } from 'commander';
import { retryDead, retryEvent } from '../../engine/operations.js';
import { cliActor, parsePositiveInt, runAction, UsageError, withStore, type EngineCliDeps } from './cli-deps.js';

export function register(program: Command, deps: EngineCliDeps): void {
  program
    .command('retry')
    .description('put a dead or retrying event back in the queue (it resumes from its checkpoints)')
    .argument('[id]', 'event id')
    .option('--status <status>', 'retry every event in this status (only "dead")')
    .action((id: string | undefined, opts: { status?: string }) =>
      runAction(async () => {
        if (id !== undefined && opts.status !== undefined) throw new UsageError('give an event id or --status dead, not both');
        if (id === undefined && opts.status === undefined) throw new UsageError('give an event id, or --status dead');
        if (opts.status !== undefined && opts.status !== 'dead') {
          throw new UsageError(`--status must be "dead", got "${opts.status}"`);
        }
        const eventId = id === undefined ? null : parsePositiveInt(id, 'event id');
        await withStore(deps, async (store) => {
          if (eventId !== null) {
            const event = await retryEvent(store, eventId, cliActor());
            console.log(`event ${event.id} queued again (retried by hand ${event.manualRetries} times)`);
            return;
          }
          const ids = await retryDead(store, cliActor());
          console.log(ids.length === 0 ? 'no dead events' : `${ids.length} dead events queued again: ${ids.join(', ')}`);
        });
      }),
    );
}
