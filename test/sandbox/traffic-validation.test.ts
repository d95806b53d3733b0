import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { sandboxPlugin } from '../../src/sandbox/plugin.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';
import { startTraffic, type TrafficDelivery, type TrafficScenario } from '../../src/sandbox/traffic.js';
import { installErrorHandler } from '../../src/server/http-errors.js';
import { parseSourceConfigs } from '../../src/config/resolve.js';
import { ingestPlugin } from '../../src/server/ingest/plugin.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { EPAYCO } from '../helpers/facturador-harness.js';

/**
 * An ePayco source with server-side validation pointed at the sandbox's ePayco: the ingestion
 * plugin asks `/sandbox/epayco/validation/v1/reference/:ref` before accepting a confirmation.
 * The sandbox used for validation runs on its own port (the ingesting app's port is not known
 * when its source is configured) and shares its store with the one mounted on the main app.
 */
let sandboxStore: SandboxStore;
let store: SqliteStore;
let validationApp: FastifyInstance;
let app: FastifyInstance;
let baseUrl: string;

function urlOf(server: FastifyInstance): string {
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return `http://127.0.0.1:${address.port}`;
}

before(async () => {
  sandboxStore = SandboxStore.open(':memory:');
  validationApp = Fastify();
  await validationApp.register(sandboxPlugin, { store: sandboxStore });
  await validationApp.listen({ host: '127.0.0.1', port: 0 });
  store = SqliteStore.open('sqlite::memory:');
  await store.migrate();
  app = Fastify();
  installErrorHandler(app);
  await app.register(ingestPlugin, {
    store,
    sources: parseSourceConfigs([
      {
        name: 'epayco',
        kind: 'epayco',
        customerId: EPAYCO.customerId,
        pKeys: [EPAYCO.pKey],
        validation: { baseUrl: `${urlOf(validationApp)}/sandbox/epayco` },
      },
    ]),
  });
  await app.register(sandboxPlugin, { store: sandboxStore });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = urlOf(app);
});

after(async () => {
  await app.close();
  await validationApp.close();
  await store.close();
  sandboxStore.close();
});

async function deliveries(scenario: TrafficScenario, count: number, registerWithSandbox: boolean): Promise<TrafficDelivery[]> {
  const seen: TrafficDelivery[] = [];
  await new Promise<void>((resolve) => {
    const stop = startTraffic({
      baseUrl,
      epayco: EPAYCO,
      intervalMs: 1,
      registerWithSandbox,
      weights: { accepted: 0, rejected: 0, duplicate: 0, 'out-of-order': 0, fault: 0, dead: 0, reversed: 0, [scenario]: 1 },
      onDelivery: (delivery) => {
        seen.push(delivery);
        if (seen.length < count) return;
        void stop().then(resolve);
      },
    });
  });
  return seen.slice(0, count);
}

describe('traffic with ePayco server-side validation against the sandbox', () => {
  it('is accepted when each payment is registered in the sandbox first', async () => {
    const [accepted] = await deliveries('accepted', 1, true);
    assert.equal(accepted?.httpStatus, 200);
    const [rejected] = await deliveries('rejected', 1, true);
    assert.equal(rejected?.httpStatus, 200);
  });

  it('is refused when ePayco does not know the payment', async () => {
    const [unknown] = await deliveries('accepted', 1, false);
    assert.notEqual(unknown?.httpStatus, 200);
    assert.equal(unknown?.eventId, undefined);
  });

  it('stores the late pending confirmation as what ePayco reports (accepted): a duplicate of the accepted event', async () => {
    const [accepted, pending] = await deliveries('out-of-order', 2, true);
    assert.equal(accepted?.httpStatus, 200);
    assert.equal(pending?.httpStatus, 200);
    assert.equal(pending?.duplicate, true);
    assert.equal(pending?.eventId, accepted?.eventId);
    const event = await store.getEvent(accepted?.eventId ?? -1);
    assert.equal(event?.transactionStatus, 'accepted');
    assert.equal(event?.providerEventId, `${accepted?.refPayco}:1`);
  });

  it('makes each payment in the sandbox first by default, so that validation knows it', async () => {
    const [accepted] = await new Promise<TrafficDelivery[]>((resolve) => {
      const seen: TrafficDelivery[] = [];
      const stop = startTraffic({
        baseUrl,
        epayco: EPAYCO,
        intervalMs: 1,
        weights: { accepted: 1, rejected: 0, duplicate: 0, 'out-of-order': 0, fault: 0, dead: 0, reversed: 0 },
        onDelivery: (delivery) => {
          seen.push(delivery);
          void stop().then(() => resolve(seen));
        },
      });
    });
    assert.equal(accepted?.httpStatus, 200);
  });
});
