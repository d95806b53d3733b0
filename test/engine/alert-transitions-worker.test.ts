/**
 * An alert's two transitions reach `alerts.webhookUrl` once each, across a killed worker: an
 * event dies (the `dead` alert opens and is POSTed), the worker is killed with SIGKILL, the
 * cause is fixed and the event retried, a new worker runs it to success (the alert resolves and
 * its resolution is POSTed). A real HTTP receiver counts every delivery.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
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

interface Delivery {
  header: string | undefined;
  deliveryId: string;
  transition: string;
  alert: { id: number; kind: string; eventId: number; resolvedAt: string | null };
}

const until = async (done: () => boolean, ms: number): Promise<void> => {
  for (let waited = 0; waited < ms && !done(); waited += 50) await new Promise((r) => setTimeout(r, 50));
};

describe('alert transitions are forwarded once each, across a killed worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webpig-alert-transitions-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('opens when the event dies, resolves when it succeeds on retry: one POST each', async () => {
    const received: Delivery[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({
          ...(JSON.parse(body) as Omit<Delivery, 'header'>),
          header: req.headers['webpig-delivery-id'] as string | undefined,
        });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;

    const db = join(dir, 'alerts.db');
    const fixed = join(dir, 'nit-fixed');
    const store = SqliteStore.open(`sqlite:${db}`);
    await store.migrate();
    const { event } = await store.insertEvent(delivery({ providerEventId: 'dies-then-succeeds' }));
    const config = join(dir, 'webpig.config.ts');
    writeFileSync(
      config,
      `import { existsSync } from 'node:fs';
import { definePipeline } from ${PIPELINE_MODULE};
import { PermanentError } from ${ERRORS_MODULE};
export default {
  sources: [],
  pipelines: [definePipeline({ name: 'p', match: () => true, stages: [
    { name: 'erp', run: async () => {
      if (!existsSync(${JSON.stringify(fixed)})) throw new PermanentError('NIT inválido', { code: 'ERP_REJECTED' });
      return { invoice: 'F-1' };
    } },
  ] })],
  alerts: { webhookUrl: 'http://127.0.0.1:${port}/alerts', checkEverySeconds: 1 },
};
`,
    );
    const children: ChildProcess[] = [];
    const startWorker = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--config', config, '--db', `sqlite:${db}`, 'worker'], {
        env: cleanEnv({ WEBPIG_LOG_LEVEL: 'error' }),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return new Promise<void>((resolve) => child.on('exit', () => resolve()));
    };
    try {
      const firstExit = startWorker();
      await until(() => received.length >= 1, 20_000);
      assert.deepEqual(
        received.map((d) => [d.transition, d.alert.kind, d.alert.eventId]),
        [['opened', 'dead', event.id]],
      );
      // Killed after the forwarder recorded the POST (milliseconds after the reply). Killed
      // between the reply and that record, the same deliveryId would come again once its claim
      // expires: the at-least-once window the receiver dedupes on (docs/operations.md).
      await new Promise((r) => setTimeout(r, 500));
      children[0]?.kill('SIGKILL');
      await firstExit;

      writeFileSync(fixed, 'yes');
      await store.requeueEvent(event.id, new Date());
      const secondExit = startWorker();
      await until(() => received.length >= 2, 20_000);
      // Two more forwarder rounds (every 2 s): nothing is sent again.
      await new Promise((r) => setTimeout(r, 4_500));
      const alertId = received[0]?.alert.id;
      const stored = (await store.listAlerts()).items;
      assert.equal((await store.getEvent(event.id))?.status, 'succeeded', JSON.stringify({ received, stored }));
      assert.deepEqual(
        received.map((d) => [d.deliveryId, d.header, d.transition, d.alert.resolvedAt !== null]),
        [
          [`${alertId}:opened`, `${alertId}:opened`, 'opened', false],
          [`${alertId}:resolved`, `${alertId}:resolved`, 'resolved', true],
        ],
        JSON.stringify(stored),
      );
      assert.equal((await store.getEvent(event.id))?.status, 'succeeded');
      children[1]?.kill('SIGTERM');
      await secondExit;
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await store.close();
      receiver.close();
    }
  });
});
