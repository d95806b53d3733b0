/**
 * The environment for a child process that a test starts: the caller's, without what would
 * make the test depend on the caller's shell. Tests are hermetic: a developer who has
 * WEBPIG_STRIPE_WEBHOOK_SECRET (or any WEBPIG_*) exported, or another time zone or language,
 * gets the same results. Variables a test sets on purpose go in `overrides`.
 *
 * Kept: WEBPIG_TEST_POSTGRES_URL and WEBPIG_REQUIRE_POSTGRES (they choose the test database
 * and whether a missing one is a failure, not what the product does).
 */
const KEPT_WEBPIG = new Set(['WEBPIG_TEST_POSTGRES_URL', 'WEBPIG_REQUIRE_POSTGRES']);

export function cleanEnv(overrides: NodeJS.ProcessEnv = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (name.startsWith('WEBPIG_') && !KEPT_WEBPIG.has(name)) continue;
    env[name] = value;
  }
  env.TZ = 'UTC';
  env.LANG = 'C.UTF-8';
  delete env.LC_ALL;
  return { ...env, ...overrides };
}
