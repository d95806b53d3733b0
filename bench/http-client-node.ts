import http from 'node:http';
import type { HttpCallReply, HttpCallRequest } from '../src/core/http-call.js';

/**
 * The node:http transport `httpCall` had before it moved to undici (src/core/http-call.ts at
 * a315da7, comments trimmed): kept here as bench/http-client.ts's baseline, for plain http only.
 */
const agent = new http.Agent({ keepAlive: true });

export function nodeHttpCall(url: string, request: HttpCallRequest): Promise<HttpCallReply> {
  const target = new URL(url);
  const headers =
    request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) };
  const { signal } = request;
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    };
    const options: http.RequestOptions = {
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: request.method,
      headers,
      agent,
    };
    const outgoing = http.request(options, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.once('error', fail);
      incoming.once('end', () => {
        signal.removeEventListener('abort', onAbort);
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        resolve({ status: incoming.statusCode ?? 0, headers: flatHeaders(incoming.rawHeaders), text: body.toString('utf8') });
      });
      incoming.once('close', () => {
        if (!incoming.complete) fail(new Error('the connection closed before the whole reply came'));
      });
    });
    const onAbort = (): void => {
      outgoing.destroy(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    outgoing.once('error', fail);
    outgoing.end(request.body);
  });
}

function flatHeaders(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const earlier = out[name];
    out[name] = earlier === undefined ? value : `${earlier}, ${value}`;
  }
  return out;
}
