/** The environment that tests give the processes they start (see clean-env.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanEnv } from './clean-env.js';

describe('cleanEnv', () => {
  const shell = {
    PATH: '/usr/bin',
    WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_from_my_shell',
    WEBPIG_DATABASE_URL: 'postgres://prod/db',
    WEBPIG_OIDC_CLIENT_SECRET: 'x',
    WEBPIG_TEST_POSTGRES_URL: 'postgres://127.0.0.1/test',
    WEBPIG_REQUIRE_POSTGRES: '1',
    TZ: 'Pacific/Kiritimati',
    LANG: 'tr_TR.UTF-8',
    LC_ALL: 'tr_TR.UTF-8',
  };

  it("drops the caller's WEBPIG_* settings and pins time zone and language, keeping the test database settings", () => {
    assert.deepEqual(cleanEnv({}, shell), {
      PATH: '/usr/bin',
      WEBPIG_TEST_POSTGRES_URL: 'postgres://127.0.0.1/test',
      WEBPIG_REQUIRE_POSTGRES: '1',
      TZ: 'UTC',
      LANG: 'C.UTF-8',
    });
  });

  it('what a test sets on purpose wins', () => {
    const env = cleanEnv({ WEBPIG_STRIPE_WEBHOOK_SECRET: 'whsec_test', TZ: 'America/Bogota' }, shell);
    assert.equal(env.WEBPIG_STRIPE_WEBHOOK_SECRET, 'whsec_test');
    assert.equal(env.TZ, 'America/Bogota');
  });
});
