/**
 * The wiring, end to end: `webpig worker` with `alerts.webhookUrl` in its config runs an event
 * into a permanent failure and the receiver gets the `dead` alert, over real HTTP, from the
 * worker process itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { delivery } from '../helpers/engine-fixtures.js';
import { cleanEnv } from '../helpers/clean-env.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const PIPELINE_MODULE = JSON.stringify(new URL('../../src/core/pipeline.ts', import.meta.url).href);
const ERRORS_MODULE = JSON.stringify(new URL('../../src/core/errors.ts', import.meta.url).href);

describe('webpig worker forwards alerts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-alerts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('POSTs the dead alert of an event that failed permanently to alerts.webhookUrl', async () => {
    const bodies: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;

    const db = join(dir, 'alerts.db');
    const store = SqliteStore.open(`sqlite:${db}`);
    await store.migrate();
    const { event } = await store.insertEvent(delivery({ providerEventId: 'will-die' }));
    await store.close();

    const config = join(dir, 'webpig.config.ts');
    writeFileSync(
      config,
      `import { definePipeline } from ${PIPELINE_MODULE};
import { PermanentError } from ${ERRORS_MODULE};
export default {
  sources: [],
  pipelines: [definePipeline({ name: 'p', match: () => true, stages: [
    { name: 'erp', run: async () => { throw new PermanentError('NIT inválido', { code: 'ERP_REJECTED' }); } },
  ] })],
  alerts: { webhookUrl: 'http://127.0.0.1:${port}/alerts' },
};
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', config, '--db', `sqlite:${db}`, 'worker'], {
      env: cleanEnv({ WEBPIG_LOG_LEVEL: 'error' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Bounded wait: the worker polls the outbox every 2 s.
      for (let i = 0; i < 300 && bodies.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(bodies.length, 1, `no alert reached the receiver; worker stderr: ${stderr}`);
      const { alert } = JSON.parse(bodies[0] ?? '{}') as { alert: { kind: string; eventId: number; stage: string; details: unknown } };
      assert.equal(alert.kind, 'dead');
      assert.equal(alert.eventId, event.id);
      assert.equal(alert.stage, 'erp');
      assert.deepEqual(alert.details, { code: 'ERP_REJECTED', error: 'NIT inválido', attempts: 1 });
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      receiver.close();
      assert.equal(code, 0, `the worker stops cleanly on SIGTERM; stderr: ${stderr}`);
    }
  });
});
