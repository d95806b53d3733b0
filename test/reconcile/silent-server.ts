import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server that accepts every request and never answers it: a provider API that
 * hangs. It counts the requests it holds and those the client gave up on (their socket closed).
 */
export interface SilentServer {
  url: string;
  /** Resolves once `count` requests have arrived (held, unanswered). */
  waitForRequests(count: number): Promise<void>;
  /** Requests whose client closed the connection before any answer. */
  abandoned(): number;
  close(): Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const held: IncomingMessage[] = [];
  let abandoned = 0;
  const waiters: Array<() => void> = [];
  const server = createServer((request) => {
    held.push(request);
    request.socket.once('close', () => abandoned++);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async waitForRequests(count) {
      const deadline = Date.now() + 15_000;
      while (held.length < count) {
        if (Date.now() > deadline) throw new Error(`the silent server got ${held.length} of ${count} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100).unref();
        });
      }
    },
    abandoned: () => abandoned,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
