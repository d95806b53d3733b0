import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliDeps } from '../context.js';
import { stopOnSignals } from '../../service/start.js';
import { UsageError } from './cli-deps.js';
import { parsePort } from './serve.js';

interface DemoFlags {
  port: string;
  host: string;
  db: string;
  traffic: boolean;
}

export function register(program: Command, deps: CliDeps): void {
  program
    .command('demo')
    .description('everything on SQLite with a sandbox of external systems and signed sample webhooks')
    .option('-p, --port <port>', 'port (0 picks a free one)', '3000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--db <file>', 'SQLite file for the demo (the sandbox keeps <file>.sandbox.db beside it)', './webpig-demo.db')
    .option('--no-traffic', 'do not send sample webhooks')
    .action(async (flags: DemoFlags) => {
      const port = parsePort(flags.port);
      refuseDirectory(flags.db);
      const { runDemo } = await import('../../demo/run-demo.js');
      const demo = await runDemo({ port, host: flags.host, dbFile: flags.db, traffic: flags.traffic, env: process.env, print: deps.print });
      const failure = await Promise.race([stopOnSignals((options) => demo.stop(options)).then(() => null), demo.failed]);
      if (failure !== null) {
        // A process of the demo died on its own (say, the sandbox was killed): the demo cannot
        // go on without it, so it stops everything and says why.
        process.stderr.write(`webpig demo: ${failure}; stopping the demo\n`);
        await demo.stop({ abort: true });
        process.exitCode = 1;
      }
      deps.print('webpig demo stopped');
    });
}

/** The demo's --db is a file path (not a URL): a folder gets the demo's words, not the store's. */
function refuseDirectory(file: string): void {
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory() !== true) return;
  throw new UsageError(
    `--db ${file} is a directory, not a database file: give the demo a file in it, e.g. --db ${path.join(file, 'webpig-demo.db')}`,
  );
}
