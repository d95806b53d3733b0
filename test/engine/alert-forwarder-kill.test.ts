/**
 * Alerts are forwarded at least once: a forwarder process SIGKILLed while its POST is in
 * flight leaves the alert claimed, not lost; once the claim runs out another process sends it,
 * marks it forwarded, and nobody sends it again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { cleanEnv } from '../helpers/clean-env.js';

const TIMEOUT_MS = 400; // the claim lasts 3 × this

function startForwarder(db: string, url: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/alert-forwarder-child.ts'], {
    env: cleanEnv({ ALERT_DB: db, ALERT_URL: url, ALERT_TIMEOUT_MS: String(TIMEOUT_MS), WEBPIG_LOG_LEVEL: 'silent' }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // A safety net only (a hung child would hang the suite), not an assertion.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      resolve(signal);
    }),
  );
  return { child, exited };
}

/** Resolves once `predicate` holds; fails (rather than hangs) if it never does within 20 s. */
async function until(what: string, predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('alert forwarding survives a killed forwarder', () => {
  it('SIGKILL mid-POST: the alert is sent again by the next process, marked forwarded, then never again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webpig-alert-kill-'));
    const received: number[] = [];
    const held: ServerResponse[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push((JSON.parse(body) as { alert: { id: number } }).alert.id);
        if (received.length === 1)
          held.push(res); // the first POST never gets its reply
        else res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts`;
    const db = join(dir, 'alerts.db');
    const store = SqliteStore.open(`sqlite:${db}`);
    await store.migrate();
    const alert = await store.recordAlert({ at: new Date(), kind: 'dead', eventId: 7, message: 'event 7 is dead' });
    const forwardedAt = () =>
      (store.database.prepare('SELECT forwarded_at FROM alerts WHERE id = ?').get(alert.id) as { forwarded_at: number | null })
        .forwarded_at;
    let second: ReturnType<typeof startForwarder> | undefined;
    try {
      const first = startForwarder(db, url);
      await until('the first POST arrived', () => received.length === 1);
      first.child.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
      assert.equal(forwardedAt(), null, 'the killed process never heard back: not forwarded');

      second = startForwarder(db, url);
      await until('the alert was marked forwarded', () => forwardedAt() !== null);
      assert.deepEqual(received, [alert.id, alert.id], 'sent again by the next process (at least once)');
      // Longer than a claim: a forwarded alert is not claimed again.
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 4));
      assert.deepEqual(received, [alert.id, alert.id], 'and never a third time');
    } finally {
      second?.child.kill('SIGKILL');
      await second?.exited;
      for (const res of held) res.destroy();
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
