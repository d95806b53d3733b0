/**
 * httpCall: the whole reply as UTF-8 text (also when a character is split between two
 * chunks), headers as one lower-cased record, and an abort that rejects with an AbortError
 * carrying the signal's reason, as node:http's own `signal` option does. No redirect followed,
 * no compression asked; a refused or closed connection rejects with the error node:http gave
 * (the stage panel and the ePayco validation show its message); https and IPv6 literals.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { httpCall } from '../../src/core/http-call.js';
import { cleanEnv } from '../helpers/clean-env.js';

/** Every Authorization header the request carried (node:http's req.headers keeps the first only). */
function authorizations(req: http.IncomingMessage): string | null {
  const values = req.rawHeaders.filter((_, i) => i % 2 === 1 && req.rawHeaders[i - 1]?.toLowerCase() === 'authorization');
  return values.length === 0 ? null : values.join(' | ');
}

describe('httpCall', () => {
  let slowBodyClosedNow = (): void => undefined;
  const slowBodyClosed = new Promise<void>((resolve) => (slowBodyClosedNow = resolve));
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.url === '/slow') return; // never answers: the caller aborts
        if (req.url === '/slow-body') {
          // A reply that never ends: the test waits for the client to close the connection.
          req.socket.once('close', () => slowBodyClosedNow());
          return void res.writeHead(200).write('half');
        }
        if (req.url === '/hang-up') return void req.socket.destroy(); // closed before any reply
        if (req.url === '/cut') {
          // Closed mid-reply: 100 bytes announced, 4 sent.
          res.writeHead(200, { 'content-length': '100' }).write('part');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        }
        if (req.url === '/moved') {
          res.writeHead(302, { location: '/x', 'content-type': 'application/json' });
          res.end(JSON.stringify({ acceptEncoding: req.headers['accept-encoding'] ?? null }));
          return;
        }
        if (req.url === '/hints') {
          // An informational reply before the answer: it is not the answer.
          res.writeEarlyHints({ link: '</a.css>; rel=preload' });
          res.writeHead(200).end(Buffer.from([0xef, 0xbb, 0xbf, 0x41])); // "A" after a byte-order mark
          return;
        }
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
        res.end(JSON.stringify({ method: req.method, url: req.url, body, auth: authorizations(req) }));
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

  it("follows no redirect and asks for no compression: the reply is the service's own", async () => {
    const reply = await httpCall(`${base}/moved`, { method: 'GET', headers: {}, signal: new AbortController().signal });
    assert.equal(reply.status, 302);
    assert.equal(reply.headers.location, '/x');
    assert.deepEqual(JSON.parse(reply.text), { acceptEncoding: null });
  });

  it('skips an informational reply, and keeps a byte-order mark in the text', async () => {
    const reply = await httpCall(`${base}/hints`, { method: 'GET', headers: {}, signal: new AbortController().signal });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.link, undefined);
    assert.equal(reply.text, '\uFEFFA');
  });

  it("sends the caller's own Authorization header, not the URL's credentials", async () => {
    const reply = await httpCall(`http://ana:secret@127.0.0.1:${new URL(base).port}/x`, {
      method: 'GET',
      headers: { Authorization: 'Bearer t0ken' },
      signal: new AbortController().signal,
    });
    assert.equal((JSON.parse(reply.text) as { auth: string }).auth, 'Bearer t0ken');
  });

  it(
    'rejects with an AbortError whose cause is the reason while the body is coming, and drops the connection',
    { timeout: 20_000 },
    async () => {
      const reason = new Error('stage timed out');
      const stop = new AbortController();
      const pending = httpCall(`${base}/slow-body`, { method: 'GET', headers: {}, signal: stop.signal });
      setTimeout(() => stop.abort(reason), 50);
      await assert.rejects(pending, (err: Error) => err.name === 'AbortError' && err.cause === reason);
      await slowBodyClosed; // never settles if the reply kept coming: the test's timeout fails it
    },
  );

  it('rejects on a refused connection with the socket error (code and message)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      httpCall(`http://127.0.0.1:${port}/`, { method: 'GET', headers: {}, signal: new AbortController().signal }),
      (err: Error & { code?: string }) => err.code === 'ECONNREFUSED' && err.message === `connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("rejects on a connection closed before the reply or mid-reply, with node:http's messages", async () => {
    await assert.rejects(
      httpCall(`${base}/hang-up`, { method: 'POST', headers: {}, body: '{}', signal: new AbortController().signal }),
      (err: Error & { code?: string }) => err.code === 'ECONNRESET' && err.message === 'socket hang up',
    );
    await assert.rejects(
      httpCall(`${base}/cut`, { method: 'GET', headers: {}, signal: new AbortController().signal }),
      (err: Error & { code?: string }) => err.code === 'ECONNRESET' && err.message === 'aborted',
    );
    // The connections left are still good for the next call.
    const reply = await httpCall(`${base}/x`, { method: 'GET', headers: {}, signal: new AbortController().signal });
    assert.equal(reply.status, 201);
  });
});

describe('httpCall to an IPv6 literal and over https', () => {
  it('calls a server on [::1]', async (t) => {
    const server = http.createServer((req, res) => res.end(`${req.method} ${req.headers.host}`));
    try {
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '::1', resolve));
    } catch {
      return t.skip('no IPv6 loopback on this machine');
    }
    const { port } = server.address() as AddressInfo;
    try {
      const reply = await httpCall(`http://[::1]:${port}/`, { method: 'GET', headers: {}, signal: new AbortController().signal });
      assert.equal(reply.text, `GET [::1]:${port}`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("calls an https server the process trusts, and refuses one it does not (the certificate's check is on)", async () => {
    const certFile = fileURLToPath(new URL('../helpers/tls/localhost.crt', import.meta.url));
    const key = readFileSync(fileURLToPath(new URL('../helpers/tls/localhost.key', import.meta.url)));
    const server = https.createServer({ cert: readFileSync(certFile), key }, (req, res) => res.end(`secure ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hello?x=1`;
    // The trust store is read when a process starts: each call runs in a child process.
    const child = fileURLToPath(new URL('../helpers/http-call-child.ts', import.meta.url));
    const callFrom = async (env: NodeJS.ProcessEnv): Promise<{ status?: number; text?: string; error?: string }> => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), child, url], {
        env: cleanEnv(env),
      });
      return JSON.parse(stdout) as { status?: number; text?: string; error?: string };
    };
    try {
      assert.deepEqual(await callFrom({ NODE_EXTRA_CA_CERTS: certFile }), { status: 200, text: 'secure /hello?x=1' });
      const untrusted = await callFrom({ NODE_EXTRA_CA_CERTS: undefined });
      assert.match(untrusted.error ?? '', /self[- ]signed certificate/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
