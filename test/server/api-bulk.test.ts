import { describe, it } from 'node:test';
import { flagOffOnRerunThroughTheApi } from './api-bulk-facturador.js';

describe('bulk re-run through the API on SQLite', () => {
  it('flag off → on → bulk re-run: the preview lists invoice, accounting and DIAN; the run makes each once, nothing else', async () => {
    await flagOffOnRerunThroughTheApi();
  });
});
