import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
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

  it("a field's index holds only the records that have the field; one made over every record by an earlier version is replaced", () => {
    const dir = mkdtempSync(join(tmpdir(), 'webpig-sandbox-index-'));
    const file = join(dir, 'sandbox.db');
    try {
      const first = SandboxStore.open(file);
      first.close();
      // What earlier versions made: an index over every record, each insert of any service writing it.
      const raw = new Database(file);
      raw.exec(`CREATE INDEX sandbox_records_by_ref ON sandbox_records (service, collection, json_extract(data, '$.ref'))`);
      raw.close();

      const store = SandboxStore.open(file);
      try {
        store.insert('clientify', 'contacts', { ref: 'R-1' });
        store.insert('worldoffice', 'invoices', { number: 1 });
        assert.deepEqual(
          store.findBy('clientify', 'contacts', 'ref', 'R-1').map((r) => r.ref),
          ['R-1'],
        );
      } finally {
        store.close();
      }
      const check = new Database(file, { readonly: true });
      try {
        const { sql } = check.prepare(`SELECT sql FROM sqlite_master WHERE name = 'sandbox_records_by_ref'`).get() as { sql: string };
        assert.match(sql, / WHERE json_extract\(data, '\$\.ref'\) IS NOT NULL$/);
        // The index's entries, read from it alone (a covering scan): the record without `ref` is not there.
        const entries = check
          .prepare(
            `SELECT count(*) AS n FROM sandbox_records INDEXED BY sandbox_records_by_ref WHERE json_extract(data, '$.ref') IS NOT NULL`,
          )
          .get() as { n: number };
        assert.equal(entries.n, 1);
      } finally {
        check.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
