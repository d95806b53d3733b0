import { fieldsOf, type FaultMode, type JsonObject, type SandboxRecord, type SandboxStore } from '../../src/index.js';

/**
 * The shop the Stripe orders example drives: orders, stock, fulfilments and e-mails. It stands
 * in for the user's own backend (the seed's Strapi "darkmart"), so it is deliberately plain: it
 * does what it is told, once per Idempotency-Key, and keeps every record so a test can count
 * them. Stock never goes below zero: a sale larger than the stock takes what there is and
 * reports the shortfall, and the pipeline turns that into an alert.
 *
 * Its records, kept replies and faults live in the sandbox's database (as owner `shop`), so a
 * restarted demo still knows which orders were paid, fulfilled and e-mailed, and a stage resumed
 * after the restart gets its kept reply back instead of taking the stock a second time.
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

const SHOP = 'shop';
/** The shop's fault modes, as the sandbox's fault table spells them. */
const MODE_IN_STORE: Record<ShopFault['mode'], FaultMode> = { fail: 'error', effect_then_fail: 'effect-then-fail' };

export class ShopBackend {
  constructor(private readonly store: SandboxStore) {}

  /** Runs `fn` in one transaction of the shop's database: a kept reply and its effect commit together. */
  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  /** The reply kept for this operation and Idempotency-Key, if any. */
  storedReply(operation: ShopOperation, key: string): StoredReply | undefined {
    const stored = this.store.storedReply(SHOP, operation, key);
    if (!stored) return undefined;
    return { fingerprint: String(stored.body.fingerprint), statusCode: stored.status, body: stored.body.body };
  }

  storeReply(operation: ShopOperation, key: string, reply: StoredReply): void {
    const body = JSON.parse(JSON.stringify(reply.body ?? null)) as JsonObject;
    this.store.storeReply(SHOP, operation, key, { status: reply.statusCode, body: { fingerprint: reply.fingerprint, body } });
  }

  listOrders(): ShopOrder[] {
    return this.store.list(SHOP, 'orders').map(toOrder);
  }

  getOrder(id: string): ShopOrder | null {
    const [record] = this.store.findBy(SHOP, 'orders', 'orderId', id);
    return record ? toOrder(record) : null;
  }

  /**
   * Creates or updates an order. Fields given replace stored ones; the state changes only if
   * the update's event is not older than the one that set the current state, so re-running an
   * old event's stage by hand cannot drag the order back.
   */
  upsertOrder(id: string, update: OrderUpdate): { order: ShopOrder; stateApplied: boolean } {
    return this.transaction(() => {
      const [existing] = this.store.findBy(SHOP, 'orders', 'orderId', id);
      const order: Omit<ShopOrder, 'createdAt' | 'updatedAt'> = existing
        ? toOrder(existing)
        : {
            id,
            state: null,
            stateOccurredAt: null,
            email: null,
            lines: null,
            amountMinor: null,
            currency: null,
            checkoutSessionIds: [],
            eventIds: [],
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
      const { id: orderId, ...fields } = order;
      const data = JSON.parse(JSON.stringify({ ...fields, orderId })) as JsonObject;
      const saved = existing ? this.store.update(SHOP, 'orders', existing.id, data) : this.store.insert(SHOP, 'orders', data);
      return { order: toOrder(saved), stateApplied };
    });
  }

  listStock(): { sku: string; quantity: number }[] {
    return this.store.list(SHOP, 'stock').map((r) => ({ sku: String(r.sku), quantity: Number(r.quantity) }));
  }

  stockOf(sku: string): number {
    const [record] = this.store.findBy(SHOP, 'stock', 'sku', sku);
    return record ? Number(record.quantity) : 0;
  }

  /** True when the shop has ever had a stock level for this SKU (a restarted demo keeps its own). */
  knowsSku(sku: string): boolean {
    return this.store.findBy(SHOP, 'stock', 'sku', sku).length > 0;
  }

  setStock(sku: string, quantity: number): void {
    const [record] = this.store.findBy(SHOP, 'stock', 'sku', sku);
    if (record) this.store.update(SHOP, 'stock', record.id, { sku, quantity });
    else this.store.insert(SHOP, 'stock', { sku, quantity });
  }

  adjustStock(orderId: string, reason: StockReason, lines: { sku: string; delta: number }[]): StockAdjustment {
    return this.transaction(() => {
      const applied: StockAdjustmentLine[] = lines.map(({ sku, delta }) => {
        const before = this.stockOf(sku);
        const change = delta < 0 ? -Math.min(-delta, before) : delta;
        const after = before + change;
        this.setStock(sku, after);
        return { sku, requested: delta, applied: change, stockAfter: after, shortfall: Math.abs(delta - change) };
      });
      const record = this.store.insert(SHOP, 'adjustments', { orderId, reason, lines: applied.map((l) => ({ ...l })) });
      return { id: record.id, orderId, reason, lines: applied, createdAt: record.createdAt };
    });
  }

  listAdjustments(filter: { orderId?: string; reason?: StockReason }): StockAdjustment[] {
    return this.store
      .list(SHOP, 'adjustments')
      .map((r) => ({ ...(fieldsOf(r) as unknown as Omit<StockAdjustment, 'id' | 'createdAt'>), id: r.id, createdAt: r.createdAt }))
      .filter((a) => (!filter.orderId || a.orderId === filter.orderId) && (!filter.reason || a.reason === filter.reason));
  }

  /** Every fulfilment, oldest first. */
  get fulfilments(): Fulfilment[] {
    return this.store
      .list(SHOP, 'fulfilments')
      .map((r) => ({ ...(fieldsOf(r) as unknown as Omit<Fulfilment, 'id' | 'createdAt'>), id: r.id, createdAt: r.createdAt }));
  }

  fulfil(orderId: string, lines: ShopOrderLine[], email: string | null): Fulfilment {
    const record = this.store.insert(SHOP, 'fulfilments', { orderId, lines: lines.map((l) => ({ ...l })), email });
    return { id: record.id, orderId, lines, email, createdAt: record.createdAt };
  }

  /** Every e-mail sent, oldest first. */
  get emails(): Email[] {
    return this.store
      .list(SHOP, 'emails')
      .map((r) => ({ ...(fieldsOf(r) as unknown as Omit<Email, 'id' | 'createdAt'>), id: r.id, createdAt: r.createdAt }));
  }

  sendEmail(input: Omit<Email, 'id' | 'createdAt'>): Email {
    const record = this.store.insert(SHOP, 'emails', { ...input, data: { ...input.data } });
    return { ...input, id: record.id, createdAt: record.createdAt };
  }

  injectFault(fault: ShopFault): void {
    this.store.addFault({ service: SHOP, operation: fault.operation, mode: MODE_IN_STORE[fault.mode], count: fault.remaining });
  }

  listFaults(): ShopFault[] {
    return this.store
      .listFaults()
      .filter((f) => f.service === SHOP)
      .map((f) => ({
        operation: f.operation as ShopOperation,
        mode: f.mode === 'effect-then-fail' ? 'effect_then_fail' : 'fail',
        remaining: f.remaining,
      }));
  }

  /** Consumes one injected fault for this operation, if any is armed. */
  takeFault(operation: ShopOperation): ShopFault['mode'] | null {
    const fault = this.store.takeFault(SHOP, operation);
    if (!fault) return null;
    return fault.mode === 'effect-then-fail' ? 'effect_then_fail' : 'fail';
  }
}

function toOrder(record: SandboxRecord): ShopOrder {
  const { orderId, ...fields } = fieldsOf(record);
  return {
    ...(fields as unknown as Omit<ShopOrder, 'id' | 'createdAt' | 'updatedAt'>),
    id: String(orderId),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
