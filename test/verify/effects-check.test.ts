/**
 * `webpig verify`'s look-up of each stage's effects, on a real store after real runs: a stage
 * declared `effects: 'none'` is reported as having none to check, not as one that should have
 * declared a look-up (which definePipeline would refuse for it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { definePipeline } from '../../src/core/pipeline.js';
import { checkEffects } from '../../src/verify/effects-check.js';
import { formatReport } from '../../src/verify/run-verify.js';
import { claimAndRun, CountingStages, insert, memoryStore, TestClock } from '../helpers/engine-fixtures.js';

describe('webpig verify: stages without effects', () => {
  it("reports a stage declared effects: 'none' as having no effects to check, and one without a look-up as not checked", async () => {
    const store = await memoryStore();
    try {
      const stages = new CountingStages();
      const pipeline = definePipeline({
        name: 'orders',
        match: () => true,
        stages: [stages.stage('read_order', { effects: 'none' }), stages.stage('notify', { dependsOn: ['read_order'] })],
      });
      await insert(store);
      await insert(store);
      const clock = new TestClock();
      while ((await claimAndRun(store, [pipeline], clock)) !== null);

      const checked = await checkEffects(store, [pipeline]);
      assert.deepEqual(
        checked.map((s) => [s.stage, s.succeeded, s.method]),
        [
          ['read_order', 2, 'noEffects'],
          ['notify', 2, 'none'],
        ],
      );
      const lines = formatReport({
        accepted: 2,
        killed: { boundary: 0, midStage: 0 },
        statuses: { succeeded: 2 },
        stages: checked,
        passed: true,
      });
      assert.match(lines.find((l) => l.includes('orders/read_order')) ?? '', /2 succeeded {2}no effects to check \(effects: 'none'\)$/);
      assert.match(lines.find((l) => l.includes('orders/notify')) ?? '', /not checked \(declare countEffects or reconcile\)$/);
    } finally {
      await store.close();
    }
  });
});
