/**
 * docs/deploy.md's backup and restore, run as written: `sqlite3 webpig.db ".backup '…'"` while
 * `webpig start` runs and takes webhooks, the integrity check, then the restore (old database,
 * -wal and -shm moved away together, the backup copied in) and `webpig events` on the result.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { sendDelivery, signStripe, stripeEvent } from '../helpers/signing.js';

const sqlite3 = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
const skip = sqlite3.status === 0 ? false : 'the sqlite3 command-line shell is not installed (apt-get install sqlite3)';
const root = mkdtempSync(path.join(tmpdir(), 'webpig-backup-'));
after(() => rmSync(root, { recursive: true, force: true }));

const docs = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

function sh(command: string, cwd: string): string {
  const result = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, `${command}: ${result.stderr}`);
  return result.stdout;
}

describe('docs/deploy.md: backups and restore on SQLite', { skip }, () => {
  it('an online backup taken while webpig takes webhooks restores to a database webpig reads', { timeout: 120_000 }, async () => {
    // The commands the guide shows, so the guide cannot drift from what is tested here.
    assert.ok(docs.includes(`sqlite3 /var/lib/webpig/webpig.db ".backup '/var/backups/webpig/webpig-$(date +%F).db'"`));
    assert.ok(docs.includes('sqlite3 "/var/backups/webpig/webpig-$(date +%F).db" "PRAGMA integrity_check"'));
    assert.ok(docs.includes('mv webpig.db webpig.db-wal webpig.db-shm broken/'));

    const dir = mkdtempSync(path.join(root, 'srv-'));
    const backups = path.join(dir, 'backups');
    mkdirSync(backups);
    // As the guide sets it up: the database named in the config, read by the service and the CLI.
    writeFileSync(path.join(dir, 'webpig.config.js'), "export default { database: 'sqlite:./webpig.db', sources: [], pipelines: [] };\n");
    const secret = 'whsec_backup_test';
    const env = { WEBPIG_STRIPE_WEBHOOK_SECRET: secret, WEBPIG_LOG_LEVEL: 'warn', TZ: 'UTC' };
    const server = startCli(['start', '--port', '0'], { cwd: dir, env });
    const ids: number[] = [];
    try {
      const line = await server.waitForLine(/listening on /);
      const baseUrl = /listening on (http:\/\/\S+)/.exec(line)?.[1] ?? '';
      const send = async (n: number) => {
        const reply = await sendDelivery(baseUrl, 'stripe', signStripe({ payload: stripeEvent({ id: `evt_backup_${n}` }), secret }));
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        ids.push(Number(reply.body.id));
      };
      for (let n = 0; n < 5; n += 1) await send(n);
      // While the server keeps running and writing: the online backup, then more webhooks.
      const backupFile = path.join(backups, 'webpig-backup.db');
      sh(`sqlite3 webpig.db ".backup '${backupFile}'"`, dir);
      for (let n = 5; n < 8; n += 1) await send(n);
      assert.equal(sh(`sqlite3 '${backupFile}' "PRAGMA integrity_check"`, dir).trim(), 'ok');
    } finally {
      await server.stop();
    }
    assert.ok(existsSync(path.join(dir, 'webpig.db')));

    // The restore, as the guide says: move the old files away together, copy the backup in.
    mkdirSync(path.join(dir, 'broken'));
    for (const file of ['webpig.db', 'webpig.db-wal', 'webpig.db-shm']) {
      if (existsSync(path.join(dir, file))) renameSync(path.join(dir, file), path.join(dir, 'broken', file));
    }
    copyFileSync(path.join(backups, 'webpig-backup.db'), path.join(dir, 'webpig.db'));
    assert.equal(sh('sqlite3 webpig.db "PRAGMA integrity_check"', dir).trim(), 'ok');
    const events = runCli(['events', '--json'], { cwd: dir, env });
    assert.equal(events.status, 0, events.stderr);
    const restored = (JSON.parse(events.stdout) as Array<{ id: number; providerEventId: string }>).map((e) => e.id).sort((a, b) => a - b);
    assert.deepEqual(restored, ids.slice(0, 5), 'exactly the webhooks acknowledged before the backup');
  });
});
