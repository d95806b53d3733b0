/**
 * A stand-in for `alerts.webhookUrl`: a real HTTP server on a free port that keeps every alert
 * the forwarder POSTs to it, parsed, in the order they arrived.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AlertReceiver<Delivery> {
  /** The URL to forward alerts to. */
  readonly url: string;
  /** What was POSTed so far, each body parsed as JSON. */
  readonly received: Delivery[];
  close(): Promise<void>;
}

export async function startAlertReceiver<Delivery>(): Promise<AlertReceiver<Delivery>> {
  const received: Delivery[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(JSON.parse(body) as Delivery);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
