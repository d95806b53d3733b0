/**
 * `npm init -y` makes a CommonJS project, so its webpig.config.ts is CommonJS and its
 * `import … from 'webpig'` is a require(). Loading it must leave webpig's own modules intact:
 * tsx's namespaced loader used to load a second copy of fastify that leaked into webpig's,
 * and the server then crashed registering @fastify/cookie ("reading 'started'").
 * This runs the built package (dist/) in a plain `node`, as `npx webpig start` does: the test
 * runner's own `--import tsx` would hide the problem. test/install/install.test.ts does it
 * end to end from an installed tarball.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { cleanEnv } from '../helpers/clean-env.js';

const root = path.resolve(import.meta.dirname, '../..');
const dist = (file: string) => path.join(root, 'dist/src', file);
const dir = mkdtempSync(path.join(tmpdir(), 'webpig-cjs-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const config = `import { defineConfig, definePipeline } from ${JSON.stringify(dist('index.js'))};
export default defineConfig({
  sources: [{ name: 'shop', kind: 'custom', secrets: ['a-secret-of-some-length'], paths: { eventId: 'id' } }],
  pipelines: [definePipeline({ name: 'orders', match: () => true, stages: [{ name: 'record', run: async () => ({ ok: true }) }] })],
});
`;

/** Loads the config with the built loader, then builds the server on it and asks /healthz. */
const script = `
const { loadConfigFile } = await import(${JSON.stringify(pathToFileURL(dist('config/load-config.js')).href)});
const config = await loadConfigFile(process.argv[1], {});
// After the config, as \`webpig start\` does: the server's modules are loaded only then.
const { composeServer } = await import(${JSON.stringify(pathToFileURL(dist('service/app.js')).href)});
const { openStore } = await import(${JSON.stringify(pathToFileURL(dist('store/open.js')).href)});
const store = await openStore('sqlite::memory:');
await store.migrate();
const app = await composeServer({ store, config, logger: false });
const reply = await app.inject({ method: 'GET', url: '/healthz' });
console.log(JSON.stringify({ stage: config.pipelines[0].stages[0].name, healthz: reply.statusCode }));
await app.close();
await store.close();
`;

describe(
  'a webpig.config.ts in a CommonJS project',
  { skip: !existsSync(dist('index.js')) && 'dist/ is not built (npm run build)' },
  () => {
    it('loads, and the server built on it starts and answers', () => {
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'shop', version: '1.0.0', type: 'commonjs' }));
      const file = path.join(dir, 'webpig.config.ts');
      writeFileSync(file, config);
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], {
        cwd: dir,
        env: cleanEnv(),
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout.trim()), { stage: 'record', healthz: 200 });
    });
  },
);
