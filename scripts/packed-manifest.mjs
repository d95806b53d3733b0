// The package.json that `npm pack` puts in the tarball has no `prepare` script.
//
// `prepare` builds dist/ in a clone (`npm install`) and for a git install, which npm builds from
// source. A tarball already carries dist/ (`prepack` builds it first), but npm ≥ 11 counts a
// non-registry package's `prepare` among its install scripts: `npm install --strict-allow-scripts`
// of the tarball would stop on it, and without strict it would ask the user to approve it.
// `prepack` runs `strip`, `postpack` runs `restore` (as pinst does for postinstall): the checkout's
// package.json is back as it was once the tarball is written. A pack that died between the two
// left the original in BACKUP; the next `strip` or `restore` puts it back first.
// `npm pack --ignore-scripts` runs neither: its tarball keeps `prepare`, which scripts/prepare.mjs
// makes do nothing outside a checkout (README.md tells to pack with scripts instead).
// `check` runs first: npm writes the tarball only after prepack, so a --pack-destination that is
// not a folder failed after the build and the strip, leaving package.json without `prepare` (and
// the backup beside it) until the next pack. npm passes the destination as npm_config_pack_destination.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const BACKUP = '.package.json.before-pack';

function restore() {
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
}

function strip() {
  restore();
  const original = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(original);
  if (!manifest.scripts?.prepare) return;
  writeFileSync(BACKUP, original);
  delete manifest.scripts.prepare;
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

function check() {
  const destination = process.env.npm_config_pack_destination;
  if (!destination || destination === '.') return;
  if (existsSync(destination) && statSync(destination).isDirectory()) return;
  console.error(
    `webpig: npm pack --pack-destination ${destination}: no such folder; create it first (mkdir -p ${destination}). Nothing was built or changed.`,
  );
  process.exit(1);
}

const step = process.argv[2];
if (step === 'check') check();
else if (step === 'strip') strip();
else if (step === 'restore') restore();
else {
  console.error(`usage: node scripts/packed-manifest.mjs check|strip|restore (got ${step ?? 'nothing'})`);
  process.exit(2);
}
