import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { allEvents, reconcileCliRigForDescribe, runToExit, sqliteCliDatabase, waitForEvents } from '../helpers/reconcile-cli.js';

/**
 * `webpig reconcile` as its own process, with only `--db`: the database records where the
 * provider's API is (as the demo does), so it uses the sandbox. A SIGKILL mid-run, then a
 * rerun, creates each missing event once; `--dry-run` changes nothing.
 */
const MISSING = 400;

describe('webpig reconcile (its own process, only --db)', () => {
  const setup = reconcileCliRigForDescribe({ database: () => sqliteCliDatabase('webpig-reconcile-'), lostPayments: MISSING });

  it('--dry-run prints what is missing and changes nothing', async () => {
    const run = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h', '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Stripe listed ${MISSING} since .*; ${MISSING} never reached webpig`));
    assert.match(run.stdout, /would be created/);
    assert.match(run.stdout, /dry run: nothing was created or recorded/);
    assert.doesNotMatch(run.stdout, /keeps its list/);
    assert.equal(await setup.store.countEvents({}), 0);
    // Asked further back than Stripe keeps its events: listed from there, and said so.
    const far = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '45d', '--dry-run']);
    assert.equal(far.code, 0, far.stderr);
    assert.match(
      far.stdout,
      /^Stripe keeps its list 30 days: listing since \S+, not \S+ as asked \(a webhook lost before then cannot be found\)$/m,
    );
    assert.match(far.stdout, new RegExp(`Stripe listed ${MISSING} since`));
    assert.equal(await setup.store.getReconciliationState('stripe').then((s) => s?.lastStartedAt ?? null), null);
  });

  it('a SIGKILL during a run, then a rerun, creates each missing event once', async () => {
    const cli = startCli(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    const exited = new Promise<void>((resolve) => cli.child.once('exit', () => resolve()));
    await waitForEvents(setup.store, 'stripe', 30);
    cli.child.kill('SIGKILL');
    await exited;
    const afterKill = await setup.store.countEvents({ source: 'stripe' });
    assert.ok(afterKill > 0 && afterKill < MISSING, `the kill came mid-run (${afterKill} of ${MISSING} created)`);
    const state = await setup.store.getReconciliationState('stripe');
    assert.ok(state?.resume, 'the killed run left where to resume');

    const rerun = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /resumed the run/);
    const events = await allEvents(setup.store, 'stripe');
    assert.equal(events.length, MISSING);
    assert.deepEqual(events.map((e) => e.providerEventId).sort(), [...setup.lostIds].sort(), 'each missing event exactly once');
    assert.ok(events.every((e) => e.origin === 'reconciliation'));
    assert.equal((await setup.store.getReconciliationState('stripe'))?.resume, null);
  });

  it('--help names every provider that can be reconciled, ePayco with where its references come from', async () => {
    const help = await runToExit(['reconcile', '--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(
      help.stdout.replace(/\s+/g, ' '),
      /--source <name> the source to reconcile: stripe, mercadopago, epayco \(the references in reconcile\.<source>\.references\)/,
    );
  });

  it('an unknown source or a bad --since is refused, naming it', async () => {
    const unknown = await runToExit(['--db', setup.db, 'reconcile', '--source', 'shop']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /source "shop" cannot be reconciled/);
    // A source the config names, whose secret is not set here: the config's own error, not "no
    // source of that name"; and a custom source is said to have no provider list.
    const config = join(dirname(setup.db.slice('sqlite:'.length)), 'shop.config.js');
    writeFileSync(
      config,
      "export default { sources: [{ name: 'shop', kind: 'custom', secrets: [process.env.SHOP_SECRET_FOR_RECONCILE], paths: { eventId: 'id', type: 'type' } }], pipelines: [] };\n",
    );
    const unset = await runToExit(['--db', setup.db, '--config', config, 'reconcile', '--source', 'shop', '--dry-run']);
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /sources\.0\.secrets\.0/);
    assert.doesNotMatch(unset.stderr, /no source of that name/);
    const custom = await runToExit(['--db', setup.db, '--config', config, 'reconcile', '--source', 'shop', '--dry-run'], {
      env: { SHOP_SECRET_FOR_RECONCILE: 'set' },
    });
    assert.equal(custom.code, 2);
    assert.match(custom.stderr, /custom sources have no provider list/);
    // A name no source has: the configured ones that can be reconciled are named.
    const typo = await runToExit(['--db', setup.db, '--config', config, 'reconcile', '--source', 'strpie', '--dry-run'], {
      env: { SHOP_SECRET_FOR_RECONCILE: 'set', WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_reconcile_test' },
    });
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /source "strpie" cannot be reconciled: no source of that name is configured \(the configured ones that can be: stripe\);/,
    );
    const since = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', 'yesterday']);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /--since must be a duration like 30s, 15m, 48h or 7d, got "yesterday"/);
  });

  it('a run the provider stops raises the alert; the command it names, run as it is, completes the run and resolves it', async () => {
    const lost = String((await setup.rig.lostPayment()).id);
    const openFailed = async () =>
      (await setup.store.listAlerts({ unresolvedOnly: true })).items.filter((a) => a.details?.alert === 'reconcile_failed');
    await setup.rig.fault({ service: 'stripe', operation: 'list_events', mode: 'error', status: 401 });
    const refused = await runToExit(['--db', setup.db, 'reconcile', '--source', 'stripe', '--since', '1h']);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /answered 401/);
    assert.match(
      refused.stderr,
      /the run stopped before the end of its window, so an alert is open until a run of stripe completes: once that is fixed, run this command again, it resumes where this one stopped$/m,
    );
    const [alert, ...more] = await openFailed();
    assert.ok(alert, 'the alert was raised');
    assert.deepEqual(more, []);
    const command = alert.details?.command;
    assert.equal(command, 'webpig reconcile --source stripe');
    assert.match(alert.message, /then run `webpig reconcile --source stripe`/);

    // The key fixed (the fault was taken): the command as the alert writes it, with this database.
    const rerun = await runToExit(['--db', setup.db, ...String(command).split(' ').slice(1)]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, new RegExp(`${lost} payment_intent.succeeded: created as event \\d+`));
    assert.deepEqual(await openFailed(), [], 'resolved by the run that completed');
    const state = await setup.store.getReconciliationState('stripe');
    assert.equal(state?.resume, null, 'nothing left of the stopped run');
    assert.ok(
      state?.covered?.by === 'dates' && state.covered.from.getTime() <= Date.parse(String(alert.details?.since)),
      "the stopped run's window is covered",
    );
  });
});
