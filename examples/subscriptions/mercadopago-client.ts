import { z } from 'zod';
import { errorMessage, WebpigError, type StageContext } from '../../src/index.js';

/**
 * Reads MercadoPago's subscription objects. A notification carries only an id (src/sources/README.md,
 * MercadoPago), so both the webhook pipeline and the return redirect ask the API what is true now:
 *   GET /preapproval/{id}, GET /authorized_payments/{id}, GET /v1/payments/{id}
 * The base URL comes from configuration: https://api.mercadopago.com in production, the
 * sandbox (or a test's own server) otherwise.
 */

export class MercadoPagoApiError extends WebpigError {
  constructor(
    code: 'MERCADOPAGO_UNREACHABLE' | 'MERCADOPAGO_NOT_FOUND' | 'MERCADOPAGO_HTTP_ERROR' | 'MERCADOPAGO_BAD_REPLY',
    message: string,
    readonly retriable: boolean,
    readonly httpStatus: number | null,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const preapprovalSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(['pending', 'authorized', 'paused', 'cancelled']),
  external_reference: z.string().nullable().optional(),
  payer_email: z.string().nullable().optional(),
  next_payment_date: z.string().nullable().optional(),
  /** What the subscription is for (the plan's name at MercadoPago). */
  reason: z.string().nullable().optional(),
  auto_recurring: z
    .looseObject({ transaction_amount: z.number().nullable().optional(), currency_id: z.string().optional() })
    .nullable()
    .optional(),
});

const authorizedPaymentSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  preapproval_id: z.string().min(1),
  status: z.string().optional(),
  external_reference: z.string().nullable().optional(),
  payment: z
    .looseObject({ id: z.union([z.string(), z.number()]).transform(String), status: z.string().optional() })
    .nullable()
    .optional(),
});

const paymentSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).transform(String),
  status: z.string(),
  external_reference: z.string().nullable().optional(),
  metadata: z.looseObject({ preapproval_id: z.string().optional() }).nullable().optional(),
  payer: z.looseObject({ email: z.string().nullable().optional() }).nullable().optional(),
});

export type Preapproval = z.infer<typeof preapprovalSchema>;
export type AuthorizedPayment = z.infer<typeof authorizedPaymentSchema>;
export type Payment = z.infer<typeof paymentSchema>;

export interface MercadoPagoClientOptions {
  /** e.g. https://api.mercadopago.com, or the sandbox's `/sandbox/mercadopago`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set; never logged. */
  accessToken?: string;
}

/** A caller: its signal alone, or a stage's context (its signal and its recording `ctx.http`). */
export type MercadoPagoCaller = AbortSignal | Pick<StageContext, 'signal' | 'http'>;

export class MercadoPagoClient {
  private readonly baseUrl: string;

  constructor(private readonly options: MercadoPagoClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
  }

  getPreapproval(id: string, caller?: MercadoPagoCaller): Promise<Preapproval> {
    return this.get(`preapproval/${encodeURIComponent(id)}`, preapprovalSchema, caller);
  }

  getAuthorizedPayment(id: string, caller?: MercadoPagoCaller): Promise<AuthorizedPayment> {
    return this.get(`authorized_payments/${encodeURIComponent(id)}`, authorizedPaymentSchema, caller);
  }

  getPayment(id: string, caller?: MercadoPagoCaller): Promise<Payment> {
    return this.get(`v1/payments/${encodeURIComponent(id)}`, paymentSchema, caller);
  }

  private async get<T>(path: string, schema: z.ZodType<T>, caller?: MercadoPagoCaller): Promise<T> {
    const signal = caller instanceof AbortSignal ? caller : caller?.signal;
    // A stage's calls go through ctx.http, so they show (token redacted) in its panel.
    const send = caller === undefined || caller instanceof AbortSignal ? fetch : caller.http.fetch;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.accessToken) headers.authorization = `Bearer ${this.options.accessToken}`;
    const what = `MercadoPago GET /${path}`;
    let response: Response;
    try {
      response = await send(new URL(path, this.baseUrl), { headers, signal });
    } catch (err) {
      throw new MercadoPagoApiError('MERCADOPAGO_UNREACHABLE', `${what}: ${errorMessage(err)}`, true, null, { cause: err });
    }
    const text = await response.text();
    if (response.status === 404) {
      // Retriable: a notification can outrun the object becoming readable.
      throw new MercadoPagoApiError('MERCADOPAGO_NOT_FOUND', `${what}: not found`, true, 404);
    }
    if (!response.ok) {
      const retriable = response.status >= 500 || response.status === 429 || response.status === 409;
      throw new MercadoPagoApiError('MERCADOPAGO_HTTP_ERROR', `${what} answered ${response.status}`, retriable, response.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new MercadoPagoApiError('MERCADOPAGO_BAD_REPLY', `${what}: reply is not JSON`, true, response.status, { cause: err });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new MercadoPagoApiError('MERCADOPAGO_BAD_REPLY', `${what}: unexpected reply (${detail})`, false, response.status);
    }
    return parsed.data;
  }
}
