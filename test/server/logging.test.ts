import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { loggerOptions, scrubLogText } from '../../src/core/logging.js';

/** The logger every webpig process uses, fed what a careless stage or a hostile body would give it. */
function capture(): { logger: pino.Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: pino(loggerOptions('trace', 'test'), stream), text: () => text };
}

const EMAIL = 'ana.perez@example.com';
const CEDULA = '1020304050';

test('requests are logged by path, without query string, headers or body', () => {
  const { logger, text } = capture();
  logger.info(
    {
      req: {
        method: 'GET',
        url: `/webhooks/epayco?x_customer_email=${encodeURIComponent(EMAIL)}&x_signature=abc123def456`,
        ip: '127.0.0.1',
        headers: { authorization: 'Bearer secret-token-value' },
        body: { email: EMAIL },
      },
    },
    'incoming request',
  );
  const line = JSON.parse(text()) as { req: Record<string, unknown> };
  assert.deepEqual(line.req, { method: 'GET', path: '/webhooks/epayco', remoteAddress: '127.0.0.1' });
  assert.ok(!text().includes('abc123def456') && !text().includes('secret-token-value') && !text().includes('ana.perez'));
});

test('fields named like personal data or payloads are censored; error messages and stacks are scrubbed', () => {
  const { logger, text } = capture();
  let parseError: Error;
  try {
    // Node quotes the input in this message: `Unexpected token 'a', "{"email": ana.pe"... is not valid JSON`.
    JSON.parse(`{"document": "${CEDULA}", "email": ${EMAIL}}`);
    throw new Error('unreachable');
  } catch (err) {
    parseError = err as Error;
  }
  logger.error({ err: parseError, eventId: 42 }, 'could not parse');
  logger.warn(
    { email: EMAIL, customer: { documentId: CEDULA }, payload: { x: 1 }, orderId: 'pi_1', note: `sent to ${EMAIL}` },
    'stage note',
  );
  logger.info('customer %s with cédula %s, phone +57 300 123 4567, paid at 2026-01-15T12:00:00Z', EMAIL, '1.020.304.050');
  logger.warn({ error: `refused: ${CEDULA} is blocked` }, 'alert not forwarded');
  logger.info({ contact: { email: 'x@y.co', city: 'Medellín', signature: 'f00dfeed' } }, 'nested');
  const out = text();
  for (const secret of ['ana.perez', CEDULA, '1.020.304.050', '300 123 4567']) assert.ok(!out.includes(secret), `${secret} in ${out}`);
  // What an operator needs stays: ids, codes, times, the shape of the message.
  assert.match(out, /"eventId":42/);
  assert.match(out, /"orderId":"pi_1"/);
  assert.match(out, /"contact":\{"email":"\[redacted\]","city":"Medellín","signature":"\[redacted\]"\}/);
  assert.match(out, /paid at 2026-01-15T12:00:00Z/);
  assert.match(out, /is not valid JSON/);
});

test('scrubLogText keeps times, ports and short ids readable', () => {
  assert.equal(scrubLogText('Server listening at http://127.0.0.1:3000'), 'Server listening at http://127.0.0.1:3000');
  assert.equal(scrubLogText('event 1234 occurred at 2026-12-06T04:25:19.000Z'), 'event 1234 occurred at 2026-12-06T04:25:19.000Z');
  assert.equal(scrubLogText(`cc ${CEDULA}, ${EMAIL}, 300-123-4567`), 'cc [number], [email], [number]');
});
