import { describe, test } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { removedSourceCases } from './api-removed-source-cases.js';

describe('a source removed from the config, on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();
  test('its stored events stay filterable; a name that never had any is refused', async () => {
    const { url } = await schemas.create();
    await removedSourceCases({ openStore: () => openStore(url) });
  });
});
