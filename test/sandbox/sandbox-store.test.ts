import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SandboxStore } from '../../src/sandbox/sandbox-store.js';

describe('sandbox store lookups', () => {
  it('findBy probes an index on the field (exact and case-insensitive), not a scan of the collection', () => {
    const store = SandboxStore.open(':memory:');
    try {
      for (let i = 0; i < 50; i++) store.insert('clientify', 'contacts', { email: `Person${i}@Example.com`, ref: String(i) });
      assert.deepEqual(
        store.findBy('clientify', 'contacts', 'ref', '7').map((r) => r.email),
        ['Person7@Example.com'],
      );
      assert.deepEqual(
        store.findBy('clientify', 'contacts', 'email', 'person7@example.COM', { caseInsensitive: true }).map((r) => r.ref),
        ['7'],
      );
      assert.deepEqual(store.findBy('clientify', 'contacts', 'ref', 'none'), []);
      for (const [field, caseInsensitive] of [
        ['ref', false],
        ['email', true],
      ] as const) {
        const plan = store.findByPlan(field, { caseInsensitive }).join('\n');
        assert.match(
          plan,
          new RegExp(
            `SEARCH sandbox_records USING INDEX sandbox_records_by_${caseInsensitive ? 'lower_' : ''}${field} \\(service=\\? AND collection=\\? AND <expr>=\\?\\)`,
          ),
          plan,
        );
      }
    } finally {
      store.close();
    }
  });

  it('a record updated is found by its new value only', () => {
    const store = SandboxStore.open(':memory:');
    try {
      const record = store.insert('strapi', 'facturacions', { reference: 'A' });
      store.update('strapi', 'facturacions', record.id, { reference: 'B' });
      assert.deepEqual(store.findBy('strapi', 'facturacions', 'reference', 'A'), []);
      assert.deepEqual(
        store.findBy('strapi', 'facturacions', 'reference', 'B').map((r) => r.id),
        [record.id],
      );
    } finally {
      store.close();
    }
  });
});
