/**
 * The demo's sandbox process: the simulated external services on their own port and event
 * loop, on the sandbox database the demo's server also opens (<db>.sandbox.db). Started by
 * `startSandboxProcess` (sandbox-process.ts) with the database path and the interface as
 * arguments; it says `{ type: 'ready', port }` on the IPC channel once it listens.
 *
 * It stops when the demo tells it to (`{ type: 'stop' }`) or when the demo is gone (the IPC
 * channel closes, even after a SIGKILL of the demo): it is never left running on its own.
 * Ctrl-C reaches every process of the terminal's group; this one ignores it, because the demo
 * first lets running stages finish, and they call the sandbox.
 */
import Fastify from 'fastify';
import { sandboxPlugin } from '../sandbox/plugin.js';
import { SandboxStore } from '../sandbox/sandbox-store.js';

export type SandboxProcessMessage = { type: 'ready'; port: number } | { type: 'stop' };

async function main(): Promise<void> {
  const [dbPath, host] = process.argv.slice(2);
  if (!dbPath || !host || !process.send) {
    process.stderr.write('webpig demo sandbox: started without its database and interface, or without the demo (IPC)\n');
    process.exit(2);
  }
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  const store = SandboxStore.open(dbPath);
  const app = Fastify({ logger: false });
  await app.register(sandboxPlugin, { store });
  await app.listen({ host, port: 0 });
  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await app.close();
    store.close();
    process.exit(0);
  };
  process.on('message', (message: SandboxProcessMessage) => {
    if (message.type === 'stop') void close();
  });
  process.on('disconnect', () => void close());
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send({ type: 'ready', port } satisfies SandboxProcessMessage);
}

main().catch((err: unknown) => {
  process.stderr.write(`webpig demo sandbox: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
