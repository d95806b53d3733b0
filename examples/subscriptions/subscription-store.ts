import Database from 'better-sqlite3';

/**
 * The subscriptions example's own database: the user's APPLICATION database (the seed's
 * `unified_subscriptions` table in PetGourmet's Supabase), not webpig's store. It is separate
 * on purpose: webpig keeps deliveries, checkpoints and entity states; the shop keeps its
 * customers' subscriptions, and both the web checkout and the webhook pipeline write here.
 * The report's fix lives in this schema: UNIQUE (user_id, external_reference), so however the
 * two flows race, one subscription is one row.
 */

export type SubscriptionStatus = 'pending' | 'active' | 'paused' | 'cancelled';
export type ActivationChannel = 'redirect' | 'webhook';

export interface SubscriptionRecord {
  id: number;
  userId: string;
  planId: string;
  externalReference: string;
  /** MercadoPago's preapproval id, once a notification or the redirect told us. */
  mercadopagoPreapprovalId: string | null;
  status: SubscriptionStatus;
  /** Who created the row: the checkout button, or a notification that came first. */
  createdBy: 'checkout' | 'webhook' | 'redirect';
  activatedAt: string | null;
  activatedBy: ActivationChannel | null;
  lastPaymentId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What a redirect or a notification did to the subscription. */
export type ActivationOutcome =
  | 'activated'
  | 'already_active'
  | 'resumed'
  | 'paused'
  | 'cancelled'
  | 'already_cancelled'
  | 'still_pending';

/** MercadoPago's preapproval statuses (PROVIDERS.md §2.4), plus an approved one-off payment. */
export type ProviderStatus = 'pending' | 'authorized' | 'paused' | 'cancelled' | 'payment_approved';

export interface ProviderUpdate {
  userId: string;
  planId: string;
  externalReference: string;
  preapprovalId: string | null;
  paymentId: string | null;
  status: ProviderStatus;
  via: ActivationChannel;
  now: Date;
}

export class SubscriptionStoreError extends Error {
  constructor(
    readonly code: 'PREAPPROVAL_MISMATCH' | 'SUBSCRIPTION_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'SubscriptionStoreError';
  }
}

interface Row {
  id: number;
  user_id: string;
  plan_id: string;
  external_reference: string;
  mercadopago_preapproval_id: string | null;
  status: SubscriptionStatus;
  created_by: SubscriptionRecord['createdBy'];
  activated_at: string | null;
  activated_by: ActivationChannel | null;
  last_payment_id: string | null;
  created_at: string;
  updated_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subscriptions (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  external_reference TEXT NOT NULL,
  mercadopago_preapproval_id TEXT UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'paused', 'cancelled')),
  created_by TEXT NOT NULL,
  activated_at TEXT,
  activated_by TEXT,
  last_payment_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CONSTRAINT unique_user_external_ref UNIQUE (user_id, external_reference)
);`;

function toRecord(row: Row): SubscriptionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    planId: row.plan_id,
    externalReference: row.external_reference,
    mercadopagoPreapprovalId: row.mercadopago_preapproval_id,
    status: row.status,
    createdBy: row.created_by,
    activatedAt: row.activated_at,
    activatedBy: row.activated_by,
    lastPaymentId: row.last_payment_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SubscriptionStore {
  private readonly db: Database.Database;

  /** `path` is a file (shared by every process of the app) or ':memory:'. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /**
   * The row for (user, reference), created if missing. INSERT … ON CONFLICT DO NOTHING, then
   * read: two clicks, two tabs or two processes all get the same row back.
   */
  ensure(input: {
    userId: string;
    planId: string;
    externalReference: string;
    createdBy: SubscriptionRecord['createdBy'];
    now: Date;
  }): { record: SubscriptionRecord; created: boolean } {
    const at = input.now.toISOString();
    const info = this.db
      .prepare(
        `INSERT INTO subscriptions (user_id, plan_id, external_reference, status, created_by, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (user_id, external_reference) DO NOTHING`,
      )
      .run(input.userId, input.planId, input.externalReference, input.createdBy, at, at);
    const record = this.findByReference(input.userId, input.externalReference);
    if (!record) throw new SubscriptionStoreError('SUBSCRIPTION_NOT_FOUND', 'the subscription vanished after its insert');
    return { record, created: info.changes === 1 };
  }

  findByReference(userId: string, externalReference: string): SubscriptionRecord | null {
    const row = this.db
      .prepare('SELECT * FROM subscriptions WHERE user_id = ? AND external_reference = ?')
      .get(userId, externalReference) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  list(filter: { userId?: string } = {}): SubscriptionRecord[] {
    const rows = (
      filter.userId === undefined
        ? this.db.prepare('SELECT * FROM subscriptions ORDER BY id').all()
        : this.db.prepare('SELECT * FROM subscriptions WHERE user_id = ? ORDER BY id').all(filter.userId)
    ) as Row[];
    return rows.map(toRecord);
  }

  /**
   * Applies what MercadoPago says about the subscription, in one transaction: find (or create)
   * the one row, attach the preapproval id, then move the status with a conditional UPDATE —
   * so activation happens once, whichever of redirect and webhook gets here first, and the
   * other learns `already_active`.
   */
  applyProviderStatus(update: ProviderUpdate): { record: SubscriptionRecord; outcome: ActivationOutcome } {
    const apply = this.db.transaction((u: ProviderUpdate) => {
      const at = u.now.toISOString();
      const { record } = this.ensure({ ...u, createdBy: u.via, now: u.now });
      if (u.preapprovalId) {
        if (record.mercadopagoPreapprovalId && record.mercadopagoPreapprovalId !== u.preapprovalId) {
          throw new SubscriptionStoreError(
            'PREAPPROVAL_MISMATCH',
            `subscription ${record.id} (${u.externalReference}) belongs to preapproval ` +
              `${record.mercadopagoPreapprovalId}, not ${u.preapprovalId}`,
          );
        }
        this.db
          .prepare('UPDATE subscriptions SET mercadopago_preapproval_id = ?, updated_at = ? WHERE id = ? AND mercadopago_preapproval_id IS NULL')
          .run(u.preapprovalId, at, record.id);
      }
      if (u.paymentId) {
        this.db.prepare('UPDATE subscriptions SET last_payment_id = ?, updated_at = ? WHERE id = ?').run(u.paymentId, at, record.id);
      }
      const outcome = this.moveStatus(record.id, record.status, u.status, u.via, at);
      const updated = this.db.prepare('SELECT * FROM subscriptions WHERE id = ?').get(record.id) as Row;
      return { record: toRecord(updated), outcome };
    });
    return apply.immediate(update);
  }

  private moveStatus(
    id: number,
    current: SubscriptionStatus,
    provider: ProviderStatus,
    via: ActivationChannel,
    at: string,
  ): ActivationOutcome {
    const set = (to: SubscriptionStatus, from: SubscriptionStatus[], activation: boolean): boolean => {
      const placeholders = from.map(() => '?').join(', ');
      const sql = activation
        ? `UPDATE subscriptions SET status = ?, activated_at = ?, activated_by = ?, updated_at = ? WHERE id = ? AND status IN (${placeholders})`
        : `UPDATE subscriptions SET status = ?, updated_at = ? WHERE id = ? AND status IN (${placeholders})`;
      const params = activation ? [to, at, via, at, id, ...from] : [to, at, id, ...from];
      return this.db.prepare(sql).run(...params).changes === 1;
    };
    // A cancelled preapproval is final in MercadoPago: nothing brings the row back.
    if (current === 'cancelled') return 'already_cancelled';
    switch (provider) {
      case 'authorized':
      case 'payment_approved':
        if (set('active', ['pending'], true)) return 'activated';
        if (set('active', ['paused'], false)) return 'resumed';
        return 'already_active';
      case 'paused':
        return set('paused', ['active'], false) ? 'paused' : current === 'paused' ? 'paused' : 'still_pending';
      case 'cancelled':
        set('cancelled', ['pending', 'active', 'paused'], false);
        return 'cancelled';
      case 'pending':
        return current === 'active' ? 'already_active' : 'still_pending';
    }
  }
}
