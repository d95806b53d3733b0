/**
 * A process that only forwards alerts, for the kill test in test/engine/alert-forwarder-kill.test.ts.
 * Env: ALERT_DB (SQLite file), ALERT_URL, ALERT_TIMEOUT_MS (one POST's limit; the claim lasts 3×).
 */
import { createAlertForwarder } from '../../src/engine/alert-forwarder.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const store = SqliteStore.open(`sqlite:${process.env.ALERT_DB}`);
await store.migrate();
createAlertForwarder({
  store,
  url: String(process.env.ALERT_URL),
  timeoutMs: Number(process.env.ALERT_TIMEOUT_MS),
  pollMs: 50,
}).start();
