import { openStore, type Store } from '../../src/index.js';

// Its own module (not payments.ts): the config names this type, and payments.ts depends on the
// connectors, which depend on the config.

/** What the Facturador needs from webpig's store: the invoice claim and the alert. */
export type FacturadorStore = Pick<Store, 'getEntityState' | 'setEntityState' | 'getEvent' | 'listEvents' | 'recordAlert' | 'listAlerts'>;

/**
 * The store at a database URL (the one the worker uses), for a `webpig.config.ts`, which is
 * loaded before webpig opens its store: opened on the first call, not when the config is
 * read, so `webpig serve` (no worker) never opens it. Its own connection, closed with the process.
 */
export function facturadorStoreAt(databaseUrl: string): FacturadorStore {
  let opened: Promise<Store> | undefined;
  const store = (): Promise<Store> =>
    (opened ??= openStore(databaseUrl).catch((err: unknown) => {
      opened = undefined; // not opened: the next call (the stage's retry) tries again
      throw err;
    }));
  return {
    getEntityState: async (key) => (await store()).getEntityState(key),
    setEntityState: async (transition) => (await store()).setEntityState(transition),
    getEvent: async (id) => (await store()).getEvent(id),
    listEvents: async (filter, options) => (await store()).listEvents(filter, options),
    recordAlert: async (alert) => (await store()).recordAlert(alert),
    listAlerts: async (options) => (await store()).listAlerts(options),
  };
}
