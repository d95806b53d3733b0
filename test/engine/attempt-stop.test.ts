/**
 * An attempt's stop (src/engine/attempt-stop.ts): the timeouts of one duration share one list
 * and one timer, and the stage's signal is made only when read. Each case here fails if the
 * shared list forgets an attempt, fires one early, or a late-made signal misses its abort.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttemptStop } from '../../src/engine/attempt-stop.js';
import { ShutdownError, StageTimeoutError } from '../../src/engine/errors.js';

const never = new AbortController().signal;

/** Resolves with the race's rejection reason (the race must reject). */
async function reasonOf(race: Promise<unknown>): Promise<unknown> {
  try {
    await race;
  } catch (err) {
    return err;
  }
  assert.fail('the race resolved');
}

describe('attempt stop', { timeout: 10_000 }, () => {
  it('a later attempt of the same duration still times out after an earlier one ended', async () => {
    const first = new AttemptStop('a', 40, never, never);
    const second = new AttemptStop('b', 40, never, never);
    first.disarm();
    const reason = await reasonOf(second.race(new Promise(() => undefined)));
    assert.ok(reason instanceof StageTimeoutError);
    assert.match(reason.message, /"b"/);
    second.disarm();
  });

  it('an attempt started after its list emptied times out too, and not before its own deadline', async () => {
    const early = new AttemptStop('early', 30, never, never);
    early.disarm();
    const started = performance.now();
    const late = new AttemptStop('late', 30, never, never);
    const reason = await reasonOf(late.race(new Promise(() => undefined)));
    assert.ok(reason instanceof StageTimeoutError);
    assert.ok(performance.now() - started >= 29, 'fired before its deadline');
    late.disarm();
  });

  it('attempts of one duration time out in turn, each at its own deadline', async () => {
    const order: string[] = [];
    const one = new AttemptStop('one', 20, never, never);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const twoStarted = performance.now();
    const two = new AttemptStop('two', 20, never, never);
    let twoElapsed = 0;
    await Promise.all([
      reasonOf(one.race(new Promise(() => undefined))).then(() => order.push('one')),
      reasonOf(two.race(new Promise(() => undefined))).then(() => {
        twoElapsed = performance.now() - twoStarted;
        order.push('two');
      }),
    ]);
    assert.deepEqual(order, ['one', 'two']);
    assert.ok(twoElapsed >= 19, `"two" timed out after ${twoElapsed} ms, before its deadline`);
    one.disarm();
    two.disarm();
  });

  it('a signal read after the stop fired is made aborted, with its reason', async () => {
    const shutdown = new AbortController();
    const stop = new AttemptStop('s', 60_000, shutdown.signal, never);
    const race = reasonOf(stop.race(new Promise(() => undefined)));
    shutdown.abort();
    assert.ok((await race) instanceof ShutdownError);
    const signal = stop.signal;
    assert.equal(signal.aborted, true);
    assert.ok(signal.reason instanceof ShutdownError);
    stop.disarm();
  });

  it('a signal read before fires with the first reason only', () => {
    const lease = new AbortController();
    const stop = new AttemptStop('s', 60_000, never, lease.signal);
    const signal = stop.signal;
    assert.equal(signal.aborted, false);
    lease.abort(new Error('lease lost'));
    stop.abort(new Error('later'));
    assert.equal((signal.reason as Error).message, 'lease lost');
    stop.disarm();
  });
});
