/** Where `webpig verify` kills its workers: deterministic per seed, and always while work runs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { killingFailpoint, killPlan } from '../../src/verify/kill-plan.js';

describe('verify kill plans', () => {
  it('the same seed and run give the same plan; plans stay within the hits asked for', () => {
    assert.deepEqual(killPlan(42, 3, 10), killPlan(42, 3, 10));
    for (let run = 0; run < 50; run++) {
      const plan = killPlan(7, run, 10);
      assert.ok(plan.afterHits >= 1 && plan.afterHits <= 10);
      assert.ok(plan.midStageDelayMs === null || (plan.midStageDelayMs >= 0 && plan.midStageDelayMs < 300));
    }
  });

  it('at a boundary: kills at exactly the n-th failpoint', () => {
    const kills: string[] = [];
    let current = '';
    const failpoint = killingFailpoint({ afterHits: 3, midStageDelayMs: null }, () => kills.push(current));
    for (const name of ['a:before-start', 'a:before-run', 'a:after-run', 'a:after-outcome']) {
      current = name;
      failpoint(name);
    }
    assert.deepEqual(kills, ['a:after-run']);
  });

  it('mid-stage: waits for an effect to start, and kills before its outcome is written if the effect ends first', () => {
    const kills: string[] = [];
    let current = '';
    const failpoint = killingFailpoint({ afterHits: 1, midStageDelayMs: 50 }, () => kills.push(current));
    for (const name of ['a:before-start', 'a:before-run', 'b:before-start', 'a:after-run', 'a:after-outcome']) {
      current = name;
      failpoint(name);
    }
    assert.deepEqual(kills, ['a:after-run'], 'killed once, between the effect and its outcome');
  });
});
