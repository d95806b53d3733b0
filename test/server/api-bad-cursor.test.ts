/**
 * A page cursor is opaque: one that was not handed out by the server (garbage, truncated,
 * forged) is the caller's mistake, a 400 naming the cursor, never a 500. Issue 17 item 7.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json, PEOPLE, startApi, type Harness } from './api-harness.js';

interface ErrorBody {
  error: { code: string; message: string };
}

const BAD_CURSORS = [
  'not-a-cursor',
  // base64url of {"v":1,"id":-5}: well-formed, but no page ever ends there.
  Buffer.from(JSON.stringify({ v: 1, id: -5 })).toString('base64url'),
  // base64url of {"v":99,"id":5}: a version this server does not know.
  Buffer.from(JSON.stringify({ v: 99, id: 5 })).toString('base64url'),
];

const LISTS = ['/api/events', '/api/alerts', '/api/audit', '/api/flags/CRM_ENABLED/history'];

describe('a bad page cursor is a 400 on every paged list', () => {
  let h: Harness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  for (const path of LISTS) {
    test(`${path}?cursor=<garbage> → 400 CURSOR_INVALID`, async () => {
      const admin = await h.session(PEOPLE.admin);
      for (const cursor of BAD_CURSORS) {
        const response = await h.request('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, admin);
        assert.equal(response.statusCode, 400, `${path} with cursor ${cursor}: ${response.body}`);
        const body = json<ErrorBody>(response);
        assert.equal(body.error.code, 'CURSOR_INVALID');
        assert.match(body.error.message, /cursor/);
      }
      // The list itself still answers without a cursor.
      const plain = await h.request('GET', path, admin);
      assert.equal(plain.statusCode, 200, plain.body);
    });
  }
});
