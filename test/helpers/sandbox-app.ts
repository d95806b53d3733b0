import Fastify, { type FastifyInstance } from 'fastify';
import { sandboxPlugin } from '../../src/sandbox/plugin.js';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';

export interface SandboxApp {
  app: FastifyInstance;
  store: SandboxStore;
  close(): Promise<void>;
}

/** A Fastify app serving only the sandbox, on its own store (in memory unless a path is given). */
export async function startSandboxApp(options: { dbPath?: string; listen?: boolean; maxHangMs?: number } = {}): Promise<SandboxApp> {
  const store = SandboxStore.open(options.dbPath ?? ':memory:');
  const app = Fastify({ logger: false });
  await app.register(sandboxPlugin, { store, ...(options.maxHangMs ? { maxHangMs: options.maxHangMs } : {}) });
  if (options.listen) await app.listen({ host: '127.0.0.1', port: 0 });
  else await app.ready();
  return {
    app,
    store,
    async close() {
      await app.close();
      store.close();
    },
  };
}

export function baseUrlOf(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('app is not listening on TCP');
  return `http://127.0.0.1:${address.port}`;
}
