import { describe, test } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { deliveryCases, homeCases } from './api-home-cases.js';

describe('home API on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();
  test('home: counts and money of a known data set in Bogotá time; mark as handled validated, audited, logged', async () => {
    const { url } = await schemas.create();
    await homeCases({ openStore: () => openStore(url) });
  });
  test("home: webhooks delivered and refused per source, today and this week; each source's kind in the config", async () => {
    const { url } = await schemas.create();
    await deliveryCases({ openStore: () => openStore(url) });
  });
});
