import { afterEach, beforeEach, describe } from 'node:test';
import type { ContractContext, MakeStore, StoreFixture } from './contract-fixtures.js';
import { adminContract } from './contract-admin.js';
import { alertIssuesContract } from './contract-alert-issues.js';
import { alertOutboxContract } from './contract-alert-outbox.js';
import { checkpointContract } from './contract-checkpoints.js';
import { checkpointBatchContract } from './contract-checkpoint-batch.js';
import { checkpointBatchParityContract } from './contract-checkpoint-batch-parity.js';
import { healthContract } from './contract-health.js';
import { homeContract } from './contract-home.js';
import { claimContract } from './contract-claims.js';
import { exchangeContract } from './contract-exchanges.js';
import { inboxContract } from './contract-inbox.js';
import { listContract } from './contract-list.js';
import { loginLinkContract } from './contract-login-links.js';
import { reconciliationContract } from './contract-reconciliation.js';
import { retentionContract } from './contract-retention.js';
import { searchContract } from './contract-search.js';

export type { MakeStore, StoreFixture } from './contract-fixtures.js';

/**
 * The behaviour every Store must have, written once and run against each dialect
 * (test/store/sqlite.test.ts, test/store/store.postgres.test.ts). Each test gets a fresh,
 * empty store from `makeStore`, migrated here, and cleaned up after it.
 */
export function storeContract(name: string, makeStore: MakeStore): void {
  describe(`Store contract: ${name}`, () => {
    let current: { fixture: StoreFixture; firstMigration: { applied: string[]; current: number } } | undefined;

    beforeEach(async () => {
      const fixture = await makeStore();
      const firstMigration = await fixture.store.migrate();
      current = { fixture, firstMigration };
    });

    afterEach(async () => {
      const finished = current;
      current = undefined;
      await finished?.fixture.cleanup();
    });

    const required = () => {
      if (current === undefined) throw new Error('the contract store is only available inside a test');
      return current;
    };
    const context: ContractContext = {
      get store() {
        return required().fixture.store;
      },
      get fixture() {
        return required().fixture;
      },
      get firstMigration() {
        return required().firstMigration;
      },
    };

    inboxContract(context);
    listContract(context);
    searchContract(context);
    claimContract(context);
    checkpointContract(context);
    checkpointBatchContract(context);
    checkpointBatchParityContract(context);
    adminContract(context);
    alertOutboxContract(context);
    alertIssuesContract(context);
    loginLinkContract(context);
    healthContract(context);
    retentionContract(context);
    exchangeContract(context);
    homeContract(context);
    reconciliationContract(context);
  });
}
