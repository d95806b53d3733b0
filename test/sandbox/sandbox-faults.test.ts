import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sandboxDbPathFor } from '../../src/sandbox/sandbox-store.js';
import { baseUrlOf, startSandboxApp } from '../helpers/sandbox-app.js';

const message = { to: '+573001234567', text: 'Hola' };

describe('sandbox faults', () => {
  it('error: fails the next N calls without doing anything, then works again', async () => {
    const { app, close } = await startSandboxApp();
    try {
      const fault = await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'callbell', operation: 'send_message', mode: 'error', count: 2, status: 500 },
      });
      assert.equal(fault.statusCode, 201);
      for (let i = 0; i < 2; i++) {
        const res = await app.inject({ method: 'POST', url: '/sandbox/callbell/messages', payload: message });
        assert.equal(res.statusCode, 500);
        assert.equal(res.json().error.code, 'SANDBOX_FAULT');
      }
      assert.equal((await app.inject({ method: 'GET', url: '/sandbox/callbell/messages' })).json().length, 0);
      const ok = await app.inject({ method: 'POST', url: '/sandbox/callbell/messages', payload: message });
      assert.equal(ok.statusCode, 201);
      assert.equal((await app.inject({ method: 'GET', url: '/sandbox/_faults' })).json().items.length, 0);
    } finally {
      await close();
    }
  });

  it('effect-then-fail: the record exists although the reply was an error; the key then replays it', async () => {
    const { app, close } = await startSandboxApp();
    try {
      await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'callbell', operation: 'send_message', mode: 'effect-then-fail' },
      });
      const failed = await app.inject({
        method: 'POST',
        url: '/sandbox/callbell/messages',
        payload: message,
        headers: { 'idempotency-key': 'k1' },
      });
      assert.equal(failed.statusCode, 502);
      assert.equal(failed.json().error.code, 'SANDBOX_FAULT_AFTER_EFFECT');
      const retried = await app.inject({
        method: 'POST',
        url: '/sandbox/callbell/messages',
        payload: message,
        headers: { 'idempotency-key': 'k1' },
      });
      assert.equal(retried.statusCode, 201);
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      assert.equal((await app.inject({ method: 'GET', url: '/sandbox/callbell/messages' })).json().length, 1);
    } finally {
      await close();
    }
  });

  it('timeout: holds the request until the client gives up, does nothing, and does not block closing', async () => {
    const sandbox = await startSandboxApp({ listen: true });
    const base = baseUrlOf(sandbox.app);
    try {
      await fetch(`${base}/sandbox/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'frapp', operation: 'create_membership', mode: 'timeout', count: 2 }),
      });
      const body = JSON.stringify({ email: 'a@b.co', documentId: '1', plan: 'P', months: 1 });
      const call = () =>
        fetch(`${base}/sandbox/frapp/memberships`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(150),
        });
      await assert.rejects(call(), (err: Error) => err.name === 'TimeoutError');
      const memberships = await (await fetch(`${base}/sandbox/frapp/memberships`)).json();
      assert.deepEqual(memberships, []);
      // A second held request is still open when the server closes: closing must not wait for it.
      const held = call().catch((err: Error) => err);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await sandbox.close();
      assert.ok((await held) instanceof Error || (await held) instanceof Response);
    } finally {
      if (sandbox.app.server.listening) await sandbox.close();
    }
  });

  it('rejects a bad fault with 400 and clears faults with DELETE', async () => {
    const { app, close } = await startSandboxApp();
    try {
      const bad = await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'nobody', operation: 'x', mode: 'error' },
      });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().error.message, /service/);
      const badMode = await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'strapi', operation: 'x', mode: 'explode' },
      });
      assert.equal(badMode.statusCode, 400);
      const notJson = await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: 'x',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(notJson.statusCode, 400);
      await app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'strapi', operation: 'apply_payment', mode: 'error', count: 3 },
      });
      const cleared = await app.inject({ method: 'DELETE', url: '/sandbox/_faults' });
      assert.equal(cleared.json().cleared, 1);
      assert.equal((await app.inject({ method: 'GET', url: '/sandbox/_faults' })).json().items.length, 0);
    } finally {
      await close();
    }
  });
});

describe('sandbox persistence', () => {
  it('keeps records, idempotency replies and pending faults across a reopen of its database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webpig-sandbox-'));
    const dbPath = sandboxDbPathFor(join(dir, 'webpig.db'));
    assert.ok(dbPath.endsWith('webpig.db.sandbox.db'));
    try {
      const first = await startSandboxApp({ dbPath });
      await first.app.inject({
        method: 'POST',
        url: '/sandbox/callbell/messages',
        payload: message,
        headers: { 'idempotency-key': 'persist' },
      });
      await first.app.inject({
        method: 'POST',
        url: '/sandbox/_faults',
        payload: { service: 'worldoffice', operation: 'create_invoice', mode: 'error', count: 2 },
      });
      await first.close();

      const second = await startSandboxApp({ dbPath });
      try {
        assert.equal((await second.app.inject({ method: 'GET', url: '/sandbox/callbell/messages' })).json().length, 1);
        const replay = await second.app.inject({
          method: 'POST',
          url: '/sandbox/callbell/messages',
          payload: message,
          headers: { 'idempotency-key': 'persist' },
        });
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        const faults = (await second.app.inject({ method: 'GET', url: '/sandbox/_faults' })).json().items;
        assert.equal(faults.length, 1);
        assert.equal(faults[0].remaining, 2);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
