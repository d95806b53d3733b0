import { test } from 'node:test';
import { removedSourceCases } from './api-removed-source-cases.js';

test('a source removed from the config keeps its stored events filterable; a name that never had any is refused (SQLite)', async () => {
  await removedSourceCases();
});
