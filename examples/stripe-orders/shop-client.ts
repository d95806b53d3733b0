import { errorMessage, PermanentError, RetriableError } from '../../src/index.js';
import type { Email, Fulfilment, OrderUpdate, ShopOrder, ShopOrderLine, StockAdjustment, StockReason } from './shop-backend.js';

/**
 * How the orders pipeline's stages talk to the shop. Errors follow webpig's rules: network
 * failures, timeouts, 5xx, 429 and 409 are retriable; any other 4xx is permanent (retrying the
 * same bad request cannot help).
 */
export interface ShopReply<T> {
  body: T;
  /** True when the shop answered from its Idempotency-Key store: the effect did not run again. */
  replayed: boolean;
}

export class ShopClient {
  constructor(private readonly baseUrl: string) {}

  upsertOrder(orderId: string, update: OrderUpdate, signal: AbortSignal): Promise<ShopReply<{ order: ShopOrder; stateApplied: boolean }>> {
    return this.request('PUT', `/sandbox/shop/orders/${encodeURIComponent(orderId)}`, update, null, signal);
  }

  adjustStock(
    input: { orderId: string; reason: StockReason; lines: { sku: string; delta: number }[] },
    idempotencyKey: string,
    signal: AbortSignal,
  ): Promise<ShopReply<StockAdjustment>> {
    return this.request('POST', '/sandbox/shop/stock/adjustments', input, idempotencyKey, signal);
  }

  async listAdjustments(orderId: string, reason: StockReason, signal: AbortSignal): Promise<StockAdjustment[]> {
    const query = `orderId=${encodeURIComponent(orderId)}&reason=${reason}`;
    const reply = await this.request<{ items: StockAdjustment[] }>(
      'GET',
      `/sandbox/shop/stock/adjustments?${query}`,
      undefined,
      null,
      signal,
    );
    return reply.body.items;
  }

  fulfil(
    input: { orderId: string; lines: ShopOrderLine[]; email: string | null },
    idempotencyKey: string,
    signal: AbortSignal,
  ): Promise<ShopReply<Fulfilment>> {
    return this.request('POST', '/sandbox/shop/fulfilments', input, idempotencyKey, signal);
  }

  sendEmail(input: Omit<Email, 'id' | 'createdAt'>, idempotencyKey: string, signal: AbortSignal): Promise<ShopReply<Email>> {
    return this.request('POST', '/sandbox/shop/emails', input, idempotencyKey, signal);
  }

  private async request<T>(
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    body: unknown,
    idempotencyKey: string | null,
    signal: AbortSignal,
  ): Promise<ShopReply<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    const what = `shop ${method} ${path.split('?')[0]}`;
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw new RetriableError(`${what}: ${errorMessage(err)}`, { cause: err, code: 'SHOP_UNREACHABLE' });
    }
    const text = await response.text();
    if (!response.ok) {
      const message = `${what} answered ${response.status}: ${text.slice(0, 300)}`;
      const retriable = response.status >= 500 || response.status === 429 || response.status === 409;
      if (retriable) throw new RetriableError(message, { code: `SHOP_HTTP_${response.status}` });
      throw new PermanentError(message, { code: `SHOP_HTTP_${response.status}` });
    }
    let parsed: T;
    try {
      parsed = JSON.parse(text) as T;
    } catch (err) {
      throw new RetriableError(`${what}: reply is not JSON`, { cause: err, code: 'SHOP_BAD_REPLY' });
    }
    return { body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }
}
