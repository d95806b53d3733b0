// `prepare`: builds dist/ in a checkout (`npm install` in a clone) and for a git install, which
// npm builds from a clone. A packed webpig carries its dist/ and no tsconfig.json: there it does
// nothing. `npm pack` leaves `prepare` out of the tarball (scripts/packed-manifest.mjs), but
// `npm pack --ignore-scripts` runs no script at all and keeps it; then a package manager that
// runs it in the installed copy (or a user who approves it) must not start a build there, which
// would fail without webpig's devDependencies.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../tsconfig.json', import.meta.url))) process.exit(0);
const build = spawnSync('npm run build', { stdio: 'inherit', shell: true });
if (build.error) {
  console.error(`webpig prepare: could not run \`npm run build\`: ${build.error.message}`);
  process.exit(1);
}
process.exit(build.status ?? 1);
