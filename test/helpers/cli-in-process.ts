import { Command } from 'commander';
import { describeFailure } from '../../src/cli/errors.js';

/** What a command run in-process printed, and the exit code main.ts would end it with. */
export interface InProcessOutcome {
  out: string;
  err: string;
  exitCode: number;
}

/**
 * Runs `webpig <args>` in-process through commander, with the commands `register` adds to the
 * program: console output is collected, and a failure that ends the command becomes what main.ts
 * makes of it (its one line on stderr and its exit code: 2 bad input, 1 refused; src/cli/errors.ts).
 */
export async function runInProcess(register: (program: Command) => void, args: string[]): Promise<InProcessOutcome> {
  const program = new Command('webpig').exitOverride();
  register(program);
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => void err.push(parts.join(' '));
  let exitCode = 0;
  try {
    await program.parseAsync(['node', 'webpig', ...args]);
  } catch (failure) {
    const described = describeFailure(failure);
    if (described.line !== null) err.push(`webpig: ${described.line}`);
    exitCode = described.exitCode;
  } finally {
    console.log = log;
    console.error = error;
  }
  return { out: out.join('\n'), err: err.join('\n'), exitCode };
}
