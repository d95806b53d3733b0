/**
 * What a new user does to adopt webpig, as functions for test/install/install.test.ts: pack the
 * package, make a fresh project, install the tarball, write the README's config, run `npx webpig`.
 * Children get a clean environment: no WEBPIG_* of the caller's shell, no npm_* of a
 * surrounding `npm test` (they would point npm at this checkout).
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv } from '../helpers/clean-env.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The caller's environment without npm_* (from `npm test`) and WEBPIG_*, plus `extra`. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const name of Object.keys(env)) if (/^npm_/i.test(name) || name === 'INIT_CWD') delete env[name];
  return { ...env, ...extra };
}

/** Runs a command to its end (no shell), collecting its output. */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? childEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 150_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * `npm pack` of this checkout as README.md says, scripts and all: `prepack` builds dist/ and
 * leaves `prepare` out of the tarball's package.json, `postpack` puts the checkout's back.
 * Fails when the checkout's package.json is not byte for byte what it was.
 */
export async function packWebpig(destination: string): Promise<string> {
  const manifestBefore = readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: ROOT });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  if (readFileSync(path.join(ROOT, 'package.json'), 'utf8') !== manifestBefore) throw new Error('npm pack left package.json changed');
  // npm pack prints the build's output before its JSON.
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\n\s*\{/m))) as Array<{ filename: string }>;
  if (!info) throw new Error(`npm pack printed no file: ${packed.stdout}`);
  return path.join(destination, info.filename);
}

/**
 * better-sqlite3 downloads a prebuilt binary or, where it cannot (no route to GitHub here),
 * compiles SQLite: about a minute of CPU per install. Its installer (prebuild-install) also
 * takes a binary from a local folder named by `npm_config_better_sqlite3_local_prebuilds`;
 * this makes one from the binary this checkout already built, so both installs take seconds.
 * Returns the variables to pass to `npm install` (none when there is no binary to reuse).
 */
export async function localPrebuild(folder: string): Promise<NodeJS.ProcessEnv> {
  const binary = path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!existsSync(binary)) return {};
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
  const stage = path.join(folder, 'stage');
  mkdirSync(path.join(stage, 'build/Release'), { recursive: true });
  const copied = await run('cp', [binary, path.join(stage, 'build/Release/')], { cwd: folder });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const packed = await run('tar', ['-C', stage, '-czf', path.join(folder, name), 'build'], { cwd: folder });
  if (copied.status !== 0 || packed.status !== 0) throw new Error(`could not make the local prebuild: ${copied.stderr}${packed.stderr}`);
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}

/**
 * A fresh project as README.md's "Using it in your project" says: `npm init -y` (CommonJS) or
 * with `"type": "module"`, then the README's own `npm` lines for "your project", the tarball in
 * place of its path. npm runs them as a team that enforces approvals does
 * (`strict-allow-scripts`): an install script nobody approved stops the install.
 * Returns npm's output of the install, for the EBADENGINE check.
 */
export async function makeProject(
  dir: string,
  type: 'commonjs' | 'module',
  tarball: string,
  installEnv: NodeJS.ProcessEnv,
): Promise<string> {
  const env = childEnv({ ...installEnv, npm_config_strict_allow_scripts: 'true' });
  const steps: string[][] = [['init', '-y']];
  if (type === 'module') steps.push(['pkg', 'set', 'type=module']);
  for (const line of readmeProjectSteps()) {
    const args = line.map((arg) => (/^\/path\/to\/webpig-.*\.tgz$/.test(arg) ? tarball : arg));
    steps.push(args[0] === 'install' ? [...args, '--no-audit', '--no-fund', '--prefer-offline'] : args);
  }
  let installOutput = '';
  for (const args of steps) {
    const result = await run('npm', args, { cwd: dir, env });
    if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed in ${dir}:\n${result.stdout}\n${result.stderr}`);
    if (args[0] === 'install') installOutput = result.stdout + result.stderr;
  }
  return installOutput;
}

/** The arguments of each `npm` line after "# in your project:" in README.md's install block. */
export function readmeProjectSteps(): string[][] {
  const block = readmeBlock('<!-- the install test (test/install/install.test.ts) runs the `npm` lines');
  const project = block.slice(block.indexOf('# in your project:'));
  const lines = project.split('\n').map((line) => line.replace(/\s#.*$/, '').trim());
  const steps = lines.filter((line) => line.startsWith('npm ')).map((line) => line.split(/\s+/).slice(1));
  if (!steps.some((args) => args[0] === 'install')) throw new Error('README.md install block has no `npm install` for your project');
  return steps;
}

/** The fenced block that follows `marker` in README.md, exactly as written. */
export function readmeBlock(marker: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no "${marker}"`);
  const fence = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!fence?.[1]) throw new Error(`README.md has no fenced block after "${marker}"`);
  return fence[1];
}

/** A delivery signed as src/sources/README.md documents for a custom source with a timestamp header. */
export function signedShopDelivery(
  body: string,
  secret: string,
  headers: { signature: string; timestamp: string },
): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'content-type': 'application/json', [headers.timestamp]: timestamp, [headers.signature]: signature };
}
