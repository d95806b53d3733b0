/**
 * The worker's stage figures keep one series per pipeline, stage and outcome: the label objects
 * observeStage reuses must never let one stage's attempts count as another's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createWorkerMetrics } from '../../src/engine/worker-metrics.js';

/** The value of one exposition line, e.g. `name{a="1"} 3`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('worker metrics', () => {
  it('counts each pipeline, stage and outcome in its own series, however often they repeat', async () => {
    const metrics = createWorkerMetrics();
    const observe = (pipeline: string, stage: string, status: 'success' | 'error', times: number) => {
      for (let i = 0; i < times; i++)
        metrics.observeStage({ pipeline, stage, status, durationMs: 20, errorCode: status === 'error' ? 'HTTP_503' : null });
    };
    observe('payments', 'invoice', 'success', 3);
    observe('payments', 'invoice', 'error', 2);
    observe('reversals', 'invoice', 'success', 1);
    observe('payments', 'notify', 'success', 4);
    const text = await metrics.registry.metrics();
    const count = (pipeline: string, stage: string, outcome: string) =>
      sample(text, `webpig_stage_duration_seconds_count{pipeline="${pipeline}",stage="${stage}",outcome="${outcome}"}`);
    assert.equal(count('payments', 'invoice', 'success'), 3);
    assert.equal(count('payments', 'invoice', 'error'), 2);
    assert.equal(count('reversals', 'invoice', 'success'), 1);
    assert.equal(count('reversals', 'invoice', 'error'), undefined);
    assert.equal(count('payments', 'notify', 'success'), 4);
    assert.equal(sample(text, 'webpig_stage_failures_total{pipeline="payments",stage="invoice",code="HTTP_503"}'), 2);
    assert.equal(sample(text, 'webpig_stage_duration_seconds_sum{pipeline="payments",stage="notify",outcome="success"}'), 0.08);
  });
});
