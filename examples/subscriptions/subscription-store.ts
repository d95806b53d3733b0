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
  /** What the customer bought, for the shop's pages and reports (the report asks for complete rows). */
  productName: string | null;
  /** The plan's price as decimal text, as the report's `base_price`. */
  basePrice: string | null;
  /** The cart at checkout (JSON), as the report's `cart_items`. */
  cartItems: unknown;
  /** MercadoPago's next charge date (`next_payment_date`), refreshed by every notification. */
  nextBillingDate: string | null;
  payerEmail: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The descriptive fields of a row; a missing one is filled by whoever knows it, never erased. */
export interface SubscriptionDetails {
  productName?: string | null;
  basePrice?: string | null;
  cartItems?: unknown;
  nextBillingDate?: string | null;
  payerEmail?: string | null;
}

/** What a redirect or a notification did to the subscription. */
export type ActivationOutcome = 'activated' | 'already_active' | 'resumed' | 'paused' | 'cancelled' | 'already_cancelled' | 'still_pending';

/** MercadoPago's preapproval statuses (MercadoPago's subscriptions FAQ), plus an approved one-off payment. */
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
  /** What MercadoPago says about the subscription (reason, amount, next charge, payer). */
  details?: SubscriptionDetails;
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
  product_name: string | null;
  base_price: string | null;
  cart_items: string | null;
  next_billing_date: string | null;
  payer_email: string | null;
  created_at: string;
  updated_at: string;
}

const DETAIL_COLUMNS = ['product_name', 'base_price', 'cart_items', 'next_billing_date', 'payer_email'] as const;

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
  product_name TEXT,
  base_price TEXT,
  cart_items TEXT,
  next_billing_date TEXT,
  payer_email TEXT,
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
    productName: row.product_name,
    basePrice: row.base_price,
    cartItems: row.cart_items === null ? null : (JSON.parse(row.cart_items) as unknown),
    nextBillingDate: row.next_billing_date,
    payerEmail: row.payer_email,
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
    this.addMissingColumns();
  }

  /** A database made by an earlier version of the example gets the detail columns in place. */
  private addMissingColumns(): void {
    const present = new Set((this.db.prepare('PRAGMA table_info(subscriptions)').all() as { name: string }[]).map((c) => c.name));
    for (const column of DETAIL_COLUMNS) {
      if (!present.has(column)) this.db.exec(`ALTER TABLE subscriptions ADD COLUMN ${column} TEXT`);
    }
  }

  /**
   * Fills the detail columns that are still empty (checkout data is never overwritten), except
   * the next billing date, which MercadoPago moves forward after each charge.
   */
  fillDetails(id: number, details: SubscriptionDetails | undefined, at: string, refreshNextBilling = true): void {
    if (!details) return;
    const nextBilling = refreshNextBilling ? 'COALESCE(?, next_billing_date)' : 'COALESCE(next_billing_date, ?)';
    const cart = details.cartItems === undefined || details.cartItems === null ? null : JSON.stringify(details.cartItems);
    this.db
      .prepare(
        `UPDATE subscriptions SET product_name = COALESCE(product_name, ?), base_price = COALESCE(base_price, ?),
           cart_items = COALESCE(cart_items, ?), payer_email = COALESCE(payer_email, ?),
           next_billing_date = ${nextBilling}, updated_at = ?
         WHERE id = ?`,
      )
      .run(
        details.productName ?? null,
        details.basePrice ?? null,
        cart,
        details.payerEmail ?? null,
        details.nextBillingDate ?? null,
        at,
        id,
      );
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
    details?: SubscriptionDetails;
  }): { record: SubscriptionRecord; created: boolean } {
    const at = input.now.toISOString();
    const info = this.db
      .prepare(
        `INSERT INTO subscriptions (user_id, plan_id, external_reference, status, created_by, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (user_id, external_reference) DO NOTHING`,
      )
      .run(input.userId, input.planId, input.externalReference, input.createdBy, at, at);
    const found = this.findByReference(input.userId, input.externalReference);
    if (!found) throw new SubscriptionStoreError('SUBSCRIPTION_NOT_FOUND', 'the subscription vanished after its insert');
    if (!input.details) return { record: found, created: info.changes === 1 };
    this.fillDetails(found.id, input.details, at);
    return { record: this.findByReference(input.userId, input.externalReference) ?? found, created: info.changes === 1 };
  }

  /**
   * Merges duplicate rows into `keepId` in one transaction: the kept row takes the details and
   * the preapproval id it lacks from the others, then the others are deleted.
   */
  mergeInto(keepId: number, removeIds: number[], now: Date): SubscriptionRecord {
    const merge = this.db.transaction(() => {
      const at = now.toISOString();
      for (const id of removeIds) {
        const row = this.db.prepare('SELECT * FROM subscriptions WHERE id = ?').get(id) as Row | undefined;
        if (!row) continue;
        this.db.prepare('DELETE FROM subscriptions WHERE id = ?').run(id);
        this.fillDetails(keepId, toRecord(row), at, false);
        // After the delete: the preapproval id is UNIQUE.
        this.db
          .prepare(
            'UPDATE subscriptions SET mercadopago_preapproval_id = COALESCE(mercadopago_preapproval_id, ?), last_payment_id = COALESCE(last_payment_id, ?) WHERE id = ?',
          )
          .run(row.mercadopago_preapproval_id, row.last_payment_id, keepId);
      }
      return toRecord(this.db.prepare('SELECT * FROM subscriptions WHERE id = ?').get(keepId) as Row);
    });
    return merge.immediate();
  }

  /** A copy of the database file, taken online (SQLite's backup API), before a clean-up. */
  backup(file: string): Promise<unknown> {
    return this.db.backup(file);
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
      // The details (product, price, next charge, payer) are filled by ensure.
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
          .prepare(
            'UPDATE subscriptions SET mercadopago_preapproval_id = ?, updated_at = ? WHERE id = ? AND mercadopago_preapproval_id IS NULL',
          )
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
