/**
 * The shop the Stripe orders example drives: orders, stock, fulfilments and e-mails, kept in
 * memory. It stands in for the user's own backend (the seed's Strapi "darkmart"), so it is
 * deliberately plain: it does what it is told, once per Idempotency-Key, and keeps every record
 * so a test can count them. Stock never goes below zero: a sale larger than the stock takes
 * what there is and reports the shortfall, and the pipeline turns that into an alert.
 */

export interface ShopOrderLine {
  sku: string;
  quantity: number;
}

export interface ShopOrder {
  id: string;
  state: string | null;
  /** When (Stripe's `created`, seconds) the event that set `state` happened. */
  stateOccurredAt: number | null;
  email: string | null;
  lines: ShopOrderLine[] | null;
  amountMinor: number | null;
  currency: string | null;
  checkoutSessionIds: string[];
  /** Stripe event ids that updated this order, in the order they arrived. */
  eventIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface OrderUpdate {
  eventId: string;
  state?: string | null;
  stateOccurredAt?: number | null;
  email?: string | null;
  lines?: ShopOrderLine[] | null;
  amountMinor?: number | null;
  currency?: string | null;
  checkoutSessionId?: string | null;
}

export type StockReason = 'sale' | 'restore';

export interface StockAdjustmentLine {
  sku: string;
  /** Asked-for change: negative takes stock, positive gives it back. */
  requested: number;
  /** What actually changed: never takes more than there was. */
  applied: number;
  stockAfter: number;
  /** Units asked for that were not in stock (an oversold item). */
  shortfall: number;
}

export interface StockAdjustment {
  id: number;
  orderId: string;
  reason: StockReason;
  lines: StockAdjustmentLine[];
  createdAt: string;
}

export interface Fulfilment {
  id: number;
  orderId: string;
  lines: ShopOrderLine[];
  email: string | null;
  createdAt: string;
}

export interface Email {
  id: number;
  orderId: string;
  to: string;
  template: string;
  data: Record<string, string | number | null>;
  createdAt: string;
}

export type ShopOperation = 'upsert_order' | 'adjust_stock' | 'fulfil' | 'send_email';
export const SHOP_OPERATIONS: readonly ShopOperation[] = ['upsert_order', 'adjust_stock', 'fulfil', 'send_email'];

/**
 * An injected fault: `fail` answers 503 without doing anything; `effect_then_fail` does the
 * effect, keeps its reply under the Idempotency-Key, and answers 503 anyway — the case where
 * a careless retry repeats the effect.
 */
export interface ShopFault {
  operation: ShopOperation;
  mode: 'fail' | 'effect_then_fail';
  remaining: number;
}

/** A reply kept under its Idempotency-Key, replayed for a retry with the same key and body. */
export interface StoredReply {
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

export class ShopBackend {
  /** Replies by Idempotency-Key (scoped by operation), as Stripe keeps them. */
  readonly idempotentReplies = new Map<string, StoredReply>();
  private readonly orders = new Map<string, ShopOrder>();
  private readonly stock = new Map<string, number>();
  readonly adjustments: StockAdjustment[] = [];
  readonly fulfilments: Fulfilment[] = [];
  readonly emails: Email[] = [];
  private faults: ShopFault[] = [];
  private nextId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  listOrders(): ShopOrder[] {
    return [...this.orders.values()];
  }

  getOrder(id: string): ShopOrder | null {
    return this.orders.get(id) ?? null;
  }

  /**
   * Creates or updates an order. Fields given replace stored ones; the state changes only if
   * the update's event is not older than the one that set the current state, so re-running an
   * old event's stage by hand cannot drag the order back.
   */
  upsertOrder(id: string, update: OrderUpdate): { order: ShopOrder; stateApplied: boolean } {
    const at = this.now().toISOString();
    const order: ShopOrder = this.orders.get(id) ?? {
      id,
      state: null,
      stateOccurredAt: null,
      email: null,
      lines: null,
      amountMinor: null,
      currency: null,
      checkoutSessionIds: [],
      eventIds: [],
      createdAt: at,
      updatedAt: at,
    };
    let stateApplied = false;
    if (update.state) {
      const occurredAt = update.stateOccurredAt ?? null;
      const older = occurredAt !== null && order.stateOccurredAt !== null && occurredAt < order.stateOccurredAt;
      if (!older) {
        order.state = update.state;
        order.stateOccurredAt = occurredAt;
        stateApplied = true;
      }
    }
    if (update.email) order.email = update.email;
    if (update.lines) order.lines = update.lines;
    if (update.amountMinor !== undefined && update.amountMinor !== null) order.amountMinor = update.amountMinor;
    if (update.currency) order.currency = update.currency;
    if (update.checkoutSessionId && !order.checkoutSessionIds.includes(update.checkoutSessionId)) {
      order.checkoutSessionIds.push(update.checkoutSessionId);
    }
    if (!order.eventIds.includes(update.eventId)) order.eventIds.push(update.eventId);
    order.updatedAt = at;
    this.orders.set(id, order);
    return { order, stateApplied };
  }

  listStock(): { sku: string; quantity: number }[] {
    return [...this.stock.entries()].map(([sku, quantity]) => ({ sku, quantity }));
  }

  stockOf(sku: string): number {
    return this.stock.get(sku) ?? 0;
  }

  setStock(sku: string, quantity: number): void {
    this.stock.set(sku, quantity);
  }

  adjustStock(orderId: string, reason: StockReason, lines: { sku: string; delta: number }[]): StockAdjustment {
    const applied: StockAdjustmentLine[] = lines.map(({ sku, delta }) => {
      const before = this.stockOf(sku);
      const change = delta < 0 ? -Math.min(-delta, before) : delta;
      const after = before + change;
      this.stock.set(sku, after);
      return { sku, requested: delta, applied: change, stockAfter: after, shortfall: Math.abs(delta - change) };
    });
    const adjustment = { id: this.nextId++, orderId, reason, lines: applied, createdAt: this.now().toISOString() };
    this.adjustments.push(adjustment);
    return adjustment;
  }

  listAdjustments(filter: { orderId?: string; reason?: StockReason }): StockAdjustment[] {
    return this.adjustments.filter(
      (a) => (!filter.orderId || a.orderId === filter.orderId) && (!filter.reason || a.reason === filter.reason),
    );
  }

  fulfil(orderId: string, lines: ShopOrderLine[], email: string | null): Fulfilment {
    const fulfilment = { id: this.nextId++, orderId, lines, email, createdAt: this.now().toISOString() };
    this.fulfilments.push(fulfilment);
    return fulfilment;
  }

  sendEmail(input: Omit<Email, 'id' | 'createdAt'>): Email {
    const email = { ...input, id: this.nextId++, createdAt: this.now().toISOString() };
    this.emails.push(email);
    return email;
  }

  injectFault(fault: ShopFault): void {
    this.faults.push({ ...fault });
  }

  listFaults(): ShopFault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** Consumes one injected fault for this operation, if any is armed. */
  takeFault(operation: ShopOperation): ShopFault['mode'] | null {
    const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
    if (!fault) return null;
    fault.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return fault.mode;
  }
}
