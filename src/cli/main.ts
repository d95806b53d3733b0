import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describeFailure } from './errors.js';
import { createCliDeps, type GlobalOptions } from './context.js';
import { registerCommands } from './commands/index.js';

// src/cli/main.ts runs from source (tests) and from dist/src/cli (installed): find package.json upwards.
const pkgUrl = ['../../package.json', '../../../package.json']
  .map((relative) => new URL(relative, import.meta.url))
  .find((url) => existsSync(url));
const pkg = (pkgUrl ? JSON.parse(readFileSync(pkgUrl, 'utf8')) : { version: 'unknown' }) as { version: string };

/**
 * `webpig events --db URL` is commander's bare "unknown option '--db'": say that it is a global
 * option and where it goes, since the command's own options come after the command.
 */
function withGlobalOptionHint(message: string): string {
  const option = /^unknown option '(--db|--config|-c)(?:=[^']*)?'/.exec(message)?.[1];
  if (option === undefined) return message;
  const [name, example] = option === '--db' ? ['--db', '--db URL'] : [option, `${option} FILE`];
  return `${message}: ${name} is a global option, so it goes before the command: webpig ${example} <command> …`;
}

const program = new Command('webpig')
  .description('Payment webhooks made boring: every delivery kept, every side effect once, every payment visible.')
  .version(pkg.version, '-v, --version')
  .option('-c, --config <file>', 'config file (Default: ./webpig.config.ts or .js)')
  .option('--db <url>', 'database URL: sqlite:./webpig.db, sqlite::memory:, postgres://… (Default: $WEBPIG_DATABASE_URL)')
  // Global options go before the command (`webpig --db URL events`), so `demo --db FILE` is the demo's.
  .enablePositionalOptions()
  // A usage mistake is one line on stderr (commander's own message, webpig's prefix).
  .configureOutput({
    outputError: (message, write) => write(`webpig: ${withGlobalOptionHint(message.replace(/^error: /, '').trim())} (see webpig --help)\n`),
  })
  .exitOverride();

registerCommands(
  program,
  createCliDeps(() => program.opts<GlobalOptions>()),
);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander already printed its one-line message (or the help / version text). Anything
  // else is one line, no stack (WEBPIG_DEBUG=1 adds it); the exit code says usage or failure.
  const { line, exitCode } = describeFailure(err);
  if (line !== null) {
    process.stderr.write(`webpig: ${line}\n`);
    if (process.env.WEBPIG_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  process.exitCode = exitCode;
}
