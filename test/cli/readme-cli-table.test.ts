/**
 * README.md's CLI table is how a new user learns the commands: every option a command takes is
 * in its row, and every option a row shows is one the command takes. It had drifted: `demo`,
 * `start` and `serve` took `--host`, `events` and `flags history` took `--limit`, `tokens`
 * printed `--json`, `flags set` took `--actor` and `verify` took `--keep`, none of them shown.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { ROOT } from '../install/project.js';

/** The options before the command (`webpig [--config FILE] [--db URL] <command>`); `login-link` also takes them after. */
const GLOBAL_OPTIONS = ['--config', '--db'];
/** `webpig flags` runs `flags list`, whose options its row shows. */
const DEFAULT_SUBCOMMAND: Record<string, string> = { flags: 'flags list' };

/** Command (`events show`) → the options its README rows show. */
function readmeRows(): Map<string, Set<string>> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## CLI\n'), readme.indexOf('\n### Bulk retry'));
  const rows = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cell = /^\| (`webpig .*?) \| /.exec(line)?.[1];
    if (cell === undefined) continue;
    for (const [, usage] of cell.matchAll(/`([^`]+)`/g)) {
      // The command is the leading lower-case words: `events show ID [--json]` → `events show`.
      const words = (usage ?? '').replace(/^webpig /, '').split(/\s+/);
      const argumentsFrom = words.findIndex((word) => !/^[a-z][a-z-]*$/.test(word));
      const command = (argumentsFrom < 0 ? words : words.slice(0, argumentsFrom)).join(' ');
      const options = rows.get(command) ?? new Set<string>();
      for (const [option] of (usage ?? '').matchAll(/--[a-z][a-z-]*/g)) options.add(option);
      rows.set(command, options);
    }
  }
  return rows;
}

/** The options `webpig <command> --help` lists, but --help. */
function helpOptions(command: string): Set<string> {
  const help = runCli([...command.split(' '), '--help']);
  assert.equal(help.status, 0, help.stderr);
  const options = help.stdout.slice(help.stdout.indexOf('\nOptions:'));
  return new Set([...options.matchAll(/^ {2}(?:-[a-zA-Z], )?(--[a-z][a-z-]*)/gm)].map((match) => match[1]!).filter((o) => o !== '--help'));
}

describe("README.md's CLI table", () => {
  const rows = readmeRows();

  it('has a row for every command', () => {
    const help = runCli(['--help']);
    const commands = [...help.stdout.slice(help.stdout.indexOf('\nCommands:')).matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((match) => match[1]!)
      .filter((command) => command !== 'help');
    const documented = new Set([...rows.keys()].map((command) => command.split(' ')[0]));
    assert.deepEqual(
      commands.filter((command) => !documented.has(command)),
      [],
    );
  });

  it("shows each command's options, and only options it takes", () => {
    const mismatches: string[] = [];
    for (const [command, shown] of rows) {
      const takes = helpOptions(DEFAULT_SUBCOMMAND[command] ?? command);
      for (const option of takes)
        if (!shown.has(option) && !GLOBAL_OPTIONS.includes(option)) mismatches.push(`${command}: ${option} is not shown`);
      for (const option of shown) if (!takes.has(option)) mismatches.push(`${command}: ${option} is shown but not taken`);
    }
    assert.deepEqual(mismatches, []);
  });
});
