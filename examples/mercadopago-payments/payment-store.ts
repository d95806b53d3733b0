import Database from 'better-sqlite3';

/**
 * The shop's own payments table (the retry guide's Django `payments`, "Actualiza pagos en BD"):
 * the APPLICATION's database, not webpig's. One row per order reference, on one MercadoPago
 * payment at a time; that payment moves it forward only — a notification read late can never
 * move an approved payment back. An order can have several payments (a rejected card, then
 * another one): a later payment takes the order over only when the order's payment failed, or
 * when it is approved and the order's payment is not; otherwise it is `other_payment`.
 */

export type ShopPaymentStatus =
  'pending' | 'in_process' | 'authorized' | 'approved' | 'rejected' | 'cancelled' | 'refunded' | 'charged_back';

/** How far along a payment is: a status only replaces one of a lower rank. */
const RANK: Record<ShopPaymentStatus, number> = {
  pending: 0,
  in_process: 1,
  authorized: 1,
  approved: 2,
  rejected: 2,
  cancelled: 2,
  refunded: 3,
  charged_back: 3,
};

export function isShopPaymentStatus(value: string): value is ShopPaymentStatus {
  return Object.hasOwn(RANK, value);
}

export interface ShopPayment {
  orderReference: string;
  mercadopagoPaymentId: string | null;
  status: ShopPaymentStatus;
  amount: number | null;
  currency: string | null;
  payerEmail: string | null;
  updatedAt: string;
}

export type PaymentOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'other_payment';

const FAILED: ReadonlySet<ShopPaymentStatus> = new Set<ShopPaymentStatus>(['rejected', 'cancelled']);
const PAID: ReadonlySet<ShopPaymentStatus> = new Set<ShopPaymentStatus>(['approved', 'refunded', 'charged_back']);

/**
 * Whether a payment other than the order's own takes the order over: the customer tried again
 * after a failed payment, or this one paid while the order's own has not (yet). A second
 * approved charge, or a rejected attempt beside a live one, leaves the order where it is.
 */
function takesOver(orderStatus: ShopPaymentStatus, paymentStatus: ShopPaymentStatus): boolean {
  return FAILED.has(orderStatus) || (paymentStatus === 'approved' && !PAID.has(orderStatus));
}

interface Row {
  order_reference: string;
  mercadopago_payment_id: string | null;
  status: ShopPaymentStatus;
  amount: number | null;
  currency: string | null;
  payer_email: string | null;
  updated_at: string;
}

const toPayment = (row: Row): ShopPayment => ({
  orderReference: row.order_reference,
  mercadopagoPaymentId: row.mercadopago_payment_id,
  status: row.status,
  amount: row.amount,
  currency: row.currency,
  payerEmail: row.payer_email,
  updatedAt: row.updated_at,
});

export class PaymentStore {
  private readonly db: Database.Database;

  /** `path`: a file shared by the shop's processes, or ':memory:'. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS payments (
      order_reference TEXT PRIMARY KEY,
      mercadopago_payment_id TEXT UNIQUE,
      status TEXT NOT NULL,
      amount REAL,
      currency TEXT,
      payer_email TEXT,
      updated_at TEXT NOT NULL
    )`);
  }

  close(): void {
    this.db.close();
  }

  /** The shop's checkout: the order awaits its payment. */
  createOrder(orderReference: string, amount: number, currency: string, now: Date): void {
    this.db
      .prepare(
        `INSERT INTO payments (order_reference, status, amount, currency, updated_at) VALUES (?, 'pending', ?, ?, ?)
                ON CONFLICT (order_reference) DO NOTHING`,
      )
      .run(orderReference, amount, currency, now.toISOString());
  }

  get(orderReference: string): ShopPayment | null {
    const row = this.db.prepare('SELECT * FROM payments WHERE order_reference = ?').get(orderReference) as Row | undefined;
    return row ? toPayment(row) : null;
  }

  list(): ShopPayment[] {
    return (this.db.prepare('SELECT * FROM payments ORDER BY order_reference').all() as Row[]).map(toPayment);
  }

  /**
   * What MercadoPago says about one payment of the order, in one transaction: created when the
   * shop has no row (the payment is real all the same); for the order's own payment (or its
   * first), moved forward when the status ranks higher, left alone when it is the same
   * (`unchanged`) or behind (`stale`); another payment of the order as `takesOver` says.
   */
  applyPayment(input: Omit<ShopPayment, 'updatedAt'> & { now: Date }): { outcome: PaymentOutcome; payment: ShopPayment } {
    const apply = this.db.transaction((): { outcome: PaymentOutcome; payment: ShopPayment } => {
      const at = input.now.toISOString();
      const current = this.get(input.orderReference);
      let outcome: PaymentOutcome;
      if (!current) {
        this.db
          .prepare(
            `INSERT INTO payments (order_reference, mercadopago_payment_id, status, amount, currency, payer_email, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(input.orderReference, input.mercadopagoPaymentId, input.status, input.amount, input.currency, input.payerEmail, at);
        outcome = 'created';
      } else if (
        current.mercadopagoPaymentId !== null &&
        input.mercadopagoPaymentId !== null &&
        current.mercadopagoPaymentId !== input.mercadopagoPaymentId
      ) {
        if (!takesOver(current.status, input.status)) return { outcome: 'other_payment', payment: current };
        this.db
          .prepare(
            `UPDATE payments SET status = ?, mercadopago_payment_id = ?, amount = COALESCE(?, amount), currency = COALESCE(?, currency),
                      payer_email = COALESCE(?, payer_email), updated_at = ?
                    WHERE order_reference = ?`,
          )
          .run(input.status, input.mercadopagoPaymentId, input.amount, input.currency, input.payerEmail, at, input.orderReference);
        outcome = 'updated';
      } else if (current.status === input.status) {
        outcome = 'unchanged';
      } else if (RANK[input.status] <= RANK[current.status]) {
        outcome = 'stale';
      } else {
        this.db
          .prepare(
            `UPDATE payments SET status = ?, mercadopago_payment_id = COALESCE(mercadopago_payment_id, ?),
                      amount = COALESCE(?, amount), currency = COALESCE(?, currency), payer_email = COALESCE(?, payer_email), updated_at = ?
                    WHERE order_reference = ?`,
          )
          .run(input.status, input.mercadopagoPaymentId, input.amount, input.currency, input.payerEmail, at, input.orderReference);
        outcome = 'updated';
      }
      return { outcome, payment: this.get(input.orderReference) as ShopPayment };
    });
    return apply.immediate();
  }
}
