import type { SourceConfig } from '../../src/sources/config.js';
import type { DashboardServerOptions } from '../helpers/browser.js';
import { TEST_SECRETS } from '../helpers/signing.js';
import { COLUMNS, FLAGS, PIPELINE } from '../server/api-harness.js';
import { AUTH } from './fixtures.js';

/** A Stripe account configured under another name: the home names it as Stripe. */
export const STRIPE_EU: SourceConfig = { name: 'stripe_eu', kind: 'stripe', secrets: [TEST_SECRETS.stripe] };
// No look-up at ePayco's servers (there is none here): the signature alone admits a confirmation.
export const EPAYCO: SourceConfig = {
  name: 'epayco',
  kind: 'epayco',
  customerId: TEST_SECRETS.epaycoCustomerId,
  pKeys: [TEST_SECRETS.epaycoPKey],
  validation: false,
};

/** The server the deliveries and refusals pages are tested on: the API tests' pipeline, ePayco and `stripe_eu`, demo sign-in. */
export const DELIVERIES_SERVER: DashboardServerOptions = {
  columns: COLUMNS,
  flags: FLAGS,
  pipelines: [PIPELINE],
  sources: [EPAYCO, STRIPE_EU],
  auth: AUTH,
  signIn: { kind: 'dev' },
};
