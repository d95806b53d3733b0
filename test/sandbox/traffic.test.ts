import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  pickScenario,
  startTraffic,
  DEFAULT_SCENARIO_WEIGHTS,
  type TrafficDelivery,
  type TrafficScenario,
} from '../../src/sandbox/traffic.js';
import { EPAYCO, startFacturadorHarness, type FacturadorHarness } from '../helpers/facturador-harness.js';

/** A seeded generator (mulberry32), so each run sends the same references. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let h: FacturadorHarness;
before(async () => {
  h = await startFacturadorHarness();
});
after(async () => h.close());

/** Runs only `scenario` until `count` deliveries were made, then stops the traffic. */
async function deliveriesOf(scenario: TrafficScenario, count: number, seed: number): Promise<TrafficDelivery[]> {
  const deliveries: TrafficDelivery[] = [];
  const errors: unknown[] = [];
  let stop: (() => Promise<void>) | undefined;
  const enough = new Promise<void>((resolve) => {
    stop = startTraffic({
      baseUrl: h.baseUrl,
      epayco: EPAYCO,
      intervalMs: 1,
      reversalDelayMs: 50,
      rng: seeded(seed),
      weights: { accepted: 0, rejected: 0, duplicate: 0, 'out-of-order': 0, fault: 0, dead: 0, reversed: 0, [scenario]: 1 },
      onDelivery: (delivery) => {
        deliveries.push(delivery);
        if (deliveries.length < count) return;
        // Stop at once, so no extra scenario (and no extra fault) starts.
        void stop?.();
        resolve();
      },
      onError: (err) => errors.push(err),
    });
  });
  await enough;
  await stop?.();
  assert.deepEqual(errors, []);
  return deliveries.slice(0, count);
}

describe('demo traffic generator', () => {
  it('sends signed accepted payments that the Facturador processes', async () => {
    const [delivery] = await deliveriesOf('accepted', 1, 1);
    assert.equal(delivery?.httpStatus, 200, 'the signature was accepted');
    const event = await h.waitForStatus(delivery?.eventId ?? -1, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
  });

  it('sends rejected payments, which run no stage', async () => {
    const [delivery] = await deliveriesOf('rejected', 1, 2);
    const event = await h.waitForStatus(delivery?.eventId ?? -1, ['ignored', 'succeeded', 'dead']);
    assert.equal(event.status, 'ignored');
  });

  it('sends duplicates that webpig stores once', async () => {
    const [first, second] = await deliveriesOf('duplicate', 2, 3);
    assert.equal(first?.duplicate, undefined);
    assert.equal(second?.duplicate, true);
    assert.equal(second?.eventId, first?.eventId);
  });

  it('sends pending and accepted out of order: the accepted one is invoiced; the late pending is what ePayco now says, a duplicate', async () => {
    const [accepted, pending] = await deliveriesOf('out-of-order', 2, 4);
    assert.deepEqual([accepted?.state, pending?.state], ['1', '3']);
    assert.equal(accepted?.refPayco, pending?.refPayco);
    assert.equal((await h.waitForStatus(accepted?.eventId ?? -1, ['succeeded', 'dead'])).status, 'succeeded');
    // ePayco reports the payment accepted when the late pending is validated: the stored state
    // is ePayco's, so it is the accepted event again.
    assert.equal(pending?.httpStatus, 200);
    assert.equal(pending?.duplicate, true);
    assert.equal(pending?.eventId, accepted?.eventId);
    const invoices = h.records('worldoffice', 'invoices').filter((i) => i.reference === accepted?.invoiceId);
    assert.equal(invoices.length, 1);
  });

  it('sets a sandbox fault before a payment, which fails a stage and then heals by retry', async () => {
    // Faults hit the next matching call, whoever makes it: let earlier events finish first.
    await h.waitForIdle();
    const [delivery] = await deliveriesOf('fault', 1, 5);
    assert.ok(delivery?.fault, 'a fault was set');
    const event = await h.waitForStatus(delivery?.eventId ?? -1, ['succeeded', 'dead']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError));
    const checkpoints = await h.store.getCheckpoints(event.id);
    assert.ok(
      checkpoints.some((c) => c.history.some((attempt) => attempt.status === 'error')),
      'some stage failed once',
    );
  });

  it('sends payments for unknown invoices, which end dead', async () => {
    const [delivery] = await deliveriesOf('dead', 1, 6);
    assert.equal((await h.waitForStatus(delivery?.eventId ?? -1, ['dead', 'succeeded'])).status, 'dead');
  });

  it('sends a payment and, a moment later, its reversal: ePayco says reversed, the Facturador makes one credit note', async () => {
    const [accepted, reversal] = await deliveriesOf('reversed', 2, 9);
    assert.deepEqual([accepted?.state, reversal?.state], ['1', '6']);
    assert.equal(accepted?.refPayco, reversal?.refPayco);
    assert.equal(reversal?.httpStatus, 200);
    assert.equal(reversal?.duplicate, undefined, 'validated as reversed: an event of its own');
    const event = await h.waitForStatus(reversal?.eventId ?? -1, ['succeeded', 'dead', 'ignored']);
    assert.equal(event.status, 'succeeded', JSON.stringify(event.lastError ?? event.ignoreReason));
    const [invoice] = h.records('worldoffice', 'invoices').filter((i) => i.reference === accepted?.invoiceId);
    assert.equal(h.records('worldoffice', 'credit_notes').filter((n) => n.invoiceId === invoice?.id).length, 1);
  });

  it('stops when its signal aborts and sends nothing afterwards', async () => {
    const controller = new AbortController();
    let sent = 0;
    const stop = startTraffic({
      baseUrl: h.baseUrl,
      epayco: EPAYCO,
      intervalMs: 1,
      rng: seeded(7),
      signal: controller.signal,
      onDelivery: () => (sent += 1),
    });
    while (sent < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await stop();
    const afterStop = sent;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(sent, afterStop);
  });

  it('picks every scenario with the default weights', () => {
    const rng = seeded(8);
    const seen = new Set<TrafficScenario>();
    for (let i = 0; i < 500; i++) seen.add(pickScenario(DEFAULT_SCENARIO_WEIGHTS, rng));
    assert.deepEqual([...seen].sort(), Object.keys(DEFAULT_SCENARIO_WEIGHTS).sort());
  });
});
