import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, MINUTE, newEvent, type ContractContext } from './contract-fixtures.js';

/** Reconciliation: events it creates say so; per source, when it ran, what it found, where it resumes. */
export function reconciliationContract(ctx: ContractContext): void {
  describe('reconciliation', () => {
    it("an event's origin is 'webhook' unless it was created by reconciliation, and a duplicate keeps the first", async () => {
      const webhook = await ctx.store.insertEvent(newEvent({ providerEventId: 'evt_w' }));
      assert.equal(webhook.event.origin, 'webhook');
      const found = await ctx.store.insertEvent(newEvent({ providerEventId: 'evt_r', origin: 'reconciliation' }));
      assert.equal(found.event.origin, 'reconciliation');
      assert.equal((await ctx.store.getEvent(found.event.id))?.origin, 'reconciliation');
      const late = await ctx.store.insertEvent(newEvent({ providerEventId: 'evt_r' }));
      assert.equal(late.duplicate, true);
      assert.equal(late.event.origin, 'reconciliation', 'the late webhook is a duplicate of the found event');
      const [batched] = await ctx.store.insertEvents([newEvent({ providerEventId: 'evt_b', origin: 'reconciliation' }), newEvent()]);
      assert.equal(batched?.event.origin, 'reconciliation');
      const page = await ctx.store.listEvents({});
      assert.deepEqual(page.items.map((e) => e.origin).sort(), ['reconciliation', 'reconciliation', 'webhook', 'webhook']);
      // The home's "never notified" figure and its link select them by origin.
      const recovered = await ctx.store.listEvents({ origin: 'reconciliation' });
      assert.deepEqual(recovered.items.map((e) => e.providerEventId).sort(), ['evt_b', 'evt_r']);
      assert.equal(await ctx.store.countEvents({ origin: 'reconciliation' }), 2);
      assert.equal(await ctx.store.countEvents({ origin: 'webhook' }), 2);
    });

    it('a run starts, progresses page by page, and either finishes or keeps where to resume', async () => {
      assert.equal(await ctx.store.getReconciliationState('stripe'), null);
      await ctx.store.recordReconciliationStart('stripe', at(0), { since: at(-60 * MINUTE), cursor: null });
      await ctx.store.recordReconciliationProgress('stripe', { since: at(-60 * MINUTE), cursor: 'evt_9' }, 2);
      await ctx.store.recordReconciliationEnd({
        source: 'stripe',
        now: at(MINUTE),
        listed: 100,
        recovered: 2,
        error: 'Stripe answered 503',
      });
      const stopped = await ctx.store.getReconciliationState('stripe');
      assert.deepEqual(stopped, {
        source: 'stripe',
        lastStartedAt: at(0),
        firstStartedAt: at(0),
        lastFinishedAt: null,
        lastListed: 0,
        lastRecovered: 0,
        totalRecovered: 2,
        resume: { since: at(-60 * MINUTE), cursor: 'evt_9' },
        lastError: 'Stripe answered 503',
        apiBaseUrl: null,
        covered: null,
        running: null,
      });
      await ctx.store.recordReconciliationStart('stripe', at(2 * MINUTE), { since: at(-60 * MINUTE), cursor: 'evt_9' });
      await ctx.store.recordReconciliationProgress('stripe', { since: at(-60 * MINUTE), cursor: 'evt_12' }, 1);
      await ctx.store.recordReconciliationEnd({ source: 'stripe', now: at(3 * MINUTE), listed: 40, recovered: 1, error: null });
      const finished = await ctx.store.getReconciliationState('stripe');
      assert.deepEqual(finished, {
        source: 'stripe',
        lastStartedAt: at(2 * MINUTE),
        firstStartedAt: at(0),
        lastFinishedAt: at(3 * MINUTE),
        lastListed: 40,
        lastRecovered: 1,
        totalRecovered: 3,
        resume: null,
        lastError: null,
        apiBaseUrl: null,
        covered: null,
        running: null,
      });
    });

    // What the event panel says "checked" by: the one contiguous interval finished runs listed.
    it('finished runs keep the interval of provider time they covered: overlapping or touching widens it, a gap replaces it', async () => {
      const covered = async () => (await ctx.store.getReconciliationState('stripe'))?.covered;
      const run = async (start: number, since: number, error: string | null = null) => {
        await ctx.store.recordReconciliationStart('stripe', at(start), { since: at(since), cursor: null });
        await ctx.store.recordReconciliationEnd({
          source: 'stripe',
          now: at(start + MINUTE),
          listed: 1,
          recovered: 0,
          error,
          covered: { by: 'dates', from: at(since), until: at(start) },
        });
      };
      const H = 60 * MINUTE;
      await run(0, -24 * H);
      assert.deepEqual(await covered(), { by: 'dates', from: at(-24 * H), until: at(0) });
      await run(6 * H, -2 * H); // overlaps: widened forward, the earlier start kept
      assert.deepEqual(await covered(), { by: 'dates', from: at(-24 * H), until: at(6 * H) });
      await run(12 * H, 6 * H); // touches at 6 h: widened
      assert.deepEqual(await covered(), { by: 'dates', from: at(-24 * H), until: at(12 * H) });
      await run(13 * H, -48 * H); // reaches further back (--since 48h): widened both ways
      assert.deepEqual(await covered(), { by: 'dates', from: at(-48 * H), until: at(13 * H) });
      await run(100 * H, 20 * H); // leaves 13 h–20 h unlisted: replaced, never a claim over the gap
      assert.deepEqual(await covered(), { by: 'dates', from: at(20 * H), until: at(100 * H) });
      await run(101 * H, 0, 'Stripe answered 503'); // stopped midway: nothing more is covered
      assert.deepEqual(await covered(), { by: 'dates', from: at(20 * H), until: at(100 * H) });
      // A dry run records nothing (the engine does not call the store); an end without coverage keeps it.
      await ctx.store.recordReconciliationStart('stripe', at(102 * H), { since: at(0), cursor: null });
      await ctx.store.recordReconciliationEnd({ source: 'stripe', now: at(102 * H + MINUTE), listed: 0, recovered: 0, error: null });
      assert.deepEqual(await covered(), { by: 'dates', from: at(20 * H), until: at(100 * H) });
      // Another source's runs are its own.
      assert.equal((await ctx.store.getReconciliationState('mercadopago'))?.covered ?? null, null);
    });

    it('a source looked up by references (ePayco) covers no dates', async () => {
      await ctx.store.recordReconciliationStart('epayco', at(0), { since: at(-MINUTE), cursor: null });
      await ctx.store.recordReconciliationEnd({
        source: 'epayco',
        now: at(MINUTE),
        listed: 3,
        recovered: 0,
        error: null,
        covered: { by: 'references' },
      });
      assert.deepEqual((await ctx.store.getReconciliationState('epayco'))?.covered, { by: 'references' });
      assert.deepEqual(
        (await ctx.store.listReconciliationStates()).map((s) => [s.source, s.covered]),
        [['epayco', { by: 'references' }]],
      );
    });

    // What "reconciliation overdue" counts from while no run has finished (reconcile-overdue.ts).
    it("the source's first run start is kept: set by its claim or its start, never moved by later runs, finished or not", async () => {
      const first = async (source: string) => (await ctx.store.getReconciliationState(source))?.firstStartedAt ?? null;
      const window = { since: at(-60 * MINUTE), cursor: null };
      // A row made by recording where the API is: no run has started.
      await ctx.store.recordProviderApi('stripe', 'http://127.0.0.1:3000/sandbox/stripe');
      assert.equal(await first('stripe'), null);
      // Runs that claim the source, record their start and die (their claim lapses), one after another.
      for (const [i, start] of [0, 10, 20].map((m) => m * MINUTE).entries()) {
        const owner = `run-${i}`;
        assert.deepEqual(
          await ctx.store.claimReconciliationRun({ source: 'stripe', owner, now: at(start), leaseUntil: at(start + MINUTE) }),
          { claimed: true },
        );
        assert.equal(await ctx.store.recordReconciliationStart('stripe', at(start), window, owner), true);
        assert.deepEqual([await first('stripe'), (await ctx.store.getReconciliationState('stripe'))?.lastStartedAt], [at(0), at(start)]);
      }
      // A claim refused (run-2 still holds it) moves nothing; nor does a run that finishes, nor a record outside any run.
      assert.equal(
        (await ctx.store.claimReconciliationRun({ source: 'stripe', owner: 'late', now: at(20 * MINUTE + 1), leaseUntil: at(30 * MINUTE) }))
          .claimed,
        false,
      );
      await ctx.store.recordReconciliationEnd({ source: 'stripe', now: at(21 * MINUTE), listed: 1, recovered: 0, error: null }, 'run-2');
      await ctx.store.releaseReconciliationRun('stripe', 'run-2');
      assert.equal(await ctx.store.recordReconciliationStart('stripe', at(30 * MINUTE), window), true);
      assert.deepEqual(await first('stripe'), at(0));
      // A claim alone is a start too (a run killed before recording one), as is a record outside any run on a new source.
      await ctx.store.claimReconciliationRun({ source: 'mercadopago', owner: 'run-m', now: at(5 * MINUTE), leaseUntil: at(6 * MINUTE) });
      assert.equal(await ctx.store.recordReconciliationStart('mercadopago', at(7 * MINUTE), window, 'run-m'), true);
      assert.deepEqual(await first('mercadopago'), at(5 * MINUTE));
      assert.equal(await ctx.store.recordReconciliationStart('epayco', at(8 * MINUTE), window), true);
      await ctx.store.recordReconciliationStart('epayco', at(9 * MINUTE), window);
      assert.deepEqual(
        (await ctx.store.listReconciliationStates()).map((s) => [s.source, s.firstStartedAt]),
        [
          ['epayco', at(8 * MINUTE)],
          ['mercadopago', at(5 * MINUTE)],
          ['stripe', at(0)],
        ],
      );
    });

    it('one run holds a source at a time: a claim is refused while another is live, taken when it expires, is released or is replaced', async () => {
      const claim = (owner: string, now: number, replacing?: string) =>
        ctx.store.claimReconciliationRun({
          source: 'stripe',
          owner,
          now: at(now),
          leaseUntil: at(now + MINUTE),
          ...(replacing ? { replacing } : {}),
        });
      assert.deepEqual(await claim('worker-a', 0), { claimed: true });
      const state = await ctx.store.getReconciliationState('stripe');
      assert.equal(state?.lastStartedAt, null, 'a claim alone is no run: its start is recorded by the run');
      assert.deepEqual(state?.running, { owner: 'worker-a', startedAt: at(0), leaseUntil: at(MINUTE) });
      assert.deepEqual(await claim('cli', 30_000), {
        claimed: false,
        holder: { owner: 'worker-a', startedAt: at(0), leaseUntil: at(MINUTE) },
      });
      assert.equal(await ctx.store.renewReconciliationRun('stripe', 'cli', at(5 * MINUTE)), false, 'only the holder renews');
      assert.equal(await ctx.store.renewReconciliationRun('stripe', 'worker-a', at(2 * MINUTE)), true);
      assert.equal((await claim('cli', MINUTE + 1)).claimed, false, 'renewed: still live after its first lease');
      await ctx.store.releaseReconciliationRun('stripe', 'cli'); // not the holder: nothing
      assert.equal((await claim('cli', MINUTE + 2)).claimed, false);
      await ctx.store.releaseReconciliationRun('stripe', 'worker-a');
      assert.equal((await ctx.store.getReconciliationState('stripe'))?.running, null);
      assert.deepEqual(await claim('cli', MINUTE + 3), { claimed: true }, 'released: free at once');
      assert.deepEqual(await claim('worker-b', 3 * MINUTE + 3), { claimed: true }, "the command's lease ran out: taken");
      assert.deepEqual(await claim('worker-c', 3 * MINUTE + 4, 'worker-b'), { claimed: true }, 'replacing a gone holder');
      assert.equal(await ctx.store.renewReconciliationRun('stripe', 'worker-b', at(9 * MINUTE)), false, 'the replaced run lost it');
      // Claims at once on a new source: exactly one wins, and the row is made once.
      const racing = await Promise.all(
        ['x', 'y', 'z', 'w'].map((owner) =>
          ctx.store.claimReconciliationRun({
            source: 'mercadopago',
            owner,
            now: at(0),
            leaseUntil: at(MINUTE),
          }),
        ),
      );
      assert.equal(racing.filter((result) => result.claimed).length, 1);
      for (const result of racing) if (!result.claimed) assert.ok(['x', 'y', 'z', 'w'].includes(result.holder.owner));
    });

    it("a run's records are written only while it holds the source: a run that lost it to another writes nothing", async () => {
      const claim = (owner: string, now: number) =>
        ctx.store.claimReconciliationRun({ source: 'stripe', owner, now: at(now), leaseUntil: at(now + MINUTE) });
      const state = () => ctx.store.getReconciliationState('stripe');
      const window = { since: at(-60 * MINUTE), cursor: null };
      assert.deepEqual(await claim('run-a', 0), { claimed: true });
      assert.equal(await ctx.store.recordReconciliationStart('stripe', at(0), window, 'run-a'), true);
      assert.equal(await ctx.store.recordReconciliationProgress('stripe', { ...window, cursor: 'evt_1' }, 1, 'run-a'), true);
      // Run A stalls past its lease; run B takes the source and records its own start and page.
      assert.deepEqual(await claim('run-b', 2 * MINUTE), { claimed: true });
      assert.equal(await ctx.store.recordReconciliationStart('stripe', at(2 * MINUTE), window, 'run-b'), true);
      assert.equal(await ctx.store.recordReconciliationProgress('stripe', { ...window, cursor: 'evt_5' }, 2, 'run-b'), true);
      const held = await state();
      assert.deepEqual(held?.resume, { ...window, cursor: 'evt_5' });
      assert.equal(held?.totalRecovered, 3);
      // A's late records, and records naming no run, are refused while B holds the source.
      for (const owner of ['run-a', undefined]) {
        const refused = [
          await ctx.store.recordReconciliationStart('stripe', at(3 * MINUTE), { since: at(-5 * MINUTE), cursor: null }, owner),
          await ctx.store.recordReconciliationProgress('stripe', { ...window, cursor: 'evt_2' }, 7, owner),
          await ctx.store.recordReconciliationEnd({ source: 'stripe', now: at(3 * MINUTE), listed: 9, recovered: 7, error: 'late' }, owner),
          await ctx.store.recordReconciliationEnd(
            {
              source: 'stripe',
              now: at(3 * MINUTE),
              listed: 9,
              recovered: 7,
              error: null,
              covered: { by: 'dates', from: at(-60 * MINUTE), until: at(0) },
            },
            owner,
          ),
        ];
        assert.deepEqual(refused, [false, false, false, false], `refused for ${owner ?? 'no run'}`);
        assert.deepEqual(await state(), held, `nothing written by ${owner ?? 'no run'}`);
      }
      const ended = { source: 'stripe', now: at(3 * MINUTE), listed: 9, recovered: 2, error: null };
      const covered = { by: 'dates' as const, from: at(-60 * MINUTE), until: at(2 * MINUTE) };
      assert.equal(await ctx.store.recordReconciliationEnd({ ...ended, covered }, 'run-b'), true);
      await ctx.store.releaseReconciliationRun('stripe', 'run-b');
      assert.equal(
        await ctx.store.recordReconciliationProgress('stripe', { ...window, cursor: 'evt_3' }, 1, 'run-a'),
        false,
        "released: still not A's",
      );
      const finished = await state();
      assert.deepEqual(
        [finished?.lastFinishedAt, finished?.resume, finished?.covered, finished?.totalRecovered],
        [at(3 * MINUTE), null, covered, 3],
      );
      // With no run holding the source, a record outside any run is written (a source's first, too).
      assert.equal(await ctx.store.recordReconciliationStart('stripe', at(4 * MINUTE), window), true);
      assert.equal(await ctx.store.recordReconciliationStart('mercadopago', at(4 * MINUTE), window), true);
      assert.equal((await state())?.lastStartedAt?.getTime(), at(4 * MINUTE).getTime());
    });

    it("records where a provider's API is, and lists the sources by name", async () => {
      await ctx.store.recordProviderApi('stripe', 'http://127.0.0.1:3000/sandbox/stripe');
      await ctx.store.recordReconciliationStart('mercadopago', at(0), { since: at(-MINUTE), cursor: null });
      await ctx.store.recordProviderApi('mercadopago', 'http://127.0.0.1:3000/sandbox/mercadopago');
      const states = await ctx.store.listReconciliationStates();
      assert.deepEqual(
        states.map((s) => [s.source, s.apiBaseUrl, s.lastStartedAt]),
        [
          ['mercadopago', 'http://127.0.0.1:3000/sandbox/mercadopago', at(0)],
          ['stripe', 'http://127.0.0.1:3000/sandbox/stripe', null],
        ],
      );
    });
  });
}
