import { describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { postgresSkip, withTestSchema } from '../helpers/postgres.js';
import { flagOffOnRerunThroughTheApi } from './api-bulk-facturador.js';

describe('bulk re-run through the API on PostgreSQL', { skip: await postgresSkip() }, () => {
  const schemas = withTestSchema();
  it('flag off → on → bulk re-run: the preview lists invoice, accounting and DIAN; the run makes each once, nothing else', async () => {
    const { url } = await schemas.create();
    await flagOffOnRerunThroughTheApi(await PostgresStore.open(url));
  });
});
