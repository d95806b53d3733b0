/**
 * httpCall: the whole reply as UTF-8 text (also when a character is split between two
 * chunks), headers as one lower-cased record, and an abort that rejects with an AbortError
 * carrying the signal's reason, as node:http's own `signal` option does.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpCall } from '../../src/core/http-call.js';

describe('httpCall', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/slow') return; // never answers: the caller aborts
        if (req.url === '/split') {
          // "ñ" is two bytes in UTF-8: its first byte ends one chunk, its second starts the next.
          const bytes = Buffer.from('año', 'utf8');
          res.writeHead(200, [
            ['Content-Type', 'text/plain; charset=utf-8'],
            ['X-Twice', 'a'],
            ['X-Twice', 'b'],
          ]);
          res.write(bytes.subarray(0, 2));
          setTimeout(() => res.end(bytes.subarray(2)), 20);
          return;
        }
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: req.headers.authorization ?? null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the method, path with query, body and credentials of the URL', async () => {
    const reply = await httpCall(`http://ana:s%20cret@127.0.0.1:${new URL(base).port}/x/y?q=1&r=ñ`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":"ñ"}',
      signal: new AbortController().signal,
    });
    assert.equal(reply.status, 201);
    assert.equal(reply.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(reply.text), {
      method: 'POST',
      url: '/x/y?q=1&r=%C3%B1',
      body: '{"a":"ñ"}',
      auth: `Basic ${Buffer.from('ana:s cret').toString('base64')}`,
    });
  });

  it('reads a reply split inside a character, and joins a repeated header', async () => {
    const reply = await httpCall(`${base}/split`, { method: 'GET', headers: {}, signal: new AbortController().signal });
    assert.equal(reply.text, 'año');
    assert.equal(reply.headers['x-twice'], 'a, b');
  });

  it('rejects with an AbortError whose cause is the reason, before or during the call', async () => {
    const reason = new Error('stage timed out');
    const stop = new AbortController();
    const pending = httpCall(`${base}/slow`, { method: 'GET', headers: {}, signal: stop.signal });
    setTimeout(() => stop.abort(reason), 20);
    await assert.rejects(pending, (err: Error) => err.name === 'AbortError' && err.cause === reason);
    await assert.rejects(
      httpCall(`${base}/x`, { method: 'GET', headers: {}, signal: stop.signal }),
      (err: Error) => err.name === 'AbortError' && err.cause === reason,
    );
  });
});
