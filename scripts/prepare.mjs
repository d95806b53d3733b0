// `prepare`: builds dist/ in a checkout (`npm install` in a clone) and for a git install, which
// npm builds from a clone. A packed webpig carries its dist/ and no tsconfig.json: there it does
// nothing. `npm pack` leaves `prepare` out of the tarball (scripts/packed-manifest.mjs), but
// `npm pack --ignore-scripts` runs no script at all and keeps it; then a package manager that
// runs it in the installed copy (or a user who approves it) must not start a build there, which
// would fail without webpig's devDependencies.
//
// `npx webpig …` in the checkout does not run the checkout's bin directly: npm exec links the
// checkout into its own cache (~/.npm/_npx) and runs `prepare` there, once (npm_command=exec).
// That build repeated the one `npm install` had just made — the Quick start's first
// `npx webpig demo` sat silent for a minute — and a Ctrl-C during it left npm's cache entry
// without its package.json, so every later `npx webpig` failed with ENOENT until the user
// found and deleted ~/.npm/_npx. Under exec, a dist/ already built is used as it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../tsconfig.json', import.meta.url))) process.exit(0);
if (process.env.npm_command === 'exec' && existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) process.exit(0);
const build = spawnSync('npm run build', { stdio: 'inherit', shell: true });
if (build.error) {
  console.error(`webpig prepare: could not run \`npm run build\`: ${build.error.message}`);
  process.exit(1);
}
process.exit(build.status ?? 1);
