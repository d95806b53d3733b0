import type { Language } from './i18n.js';
import type { ErrorInfo } from './types.js';

/**
 * Error codes said for people: what happened and what to do next, in Spanish and English. The
 * codes come from the engine (src/engine/errors.ts: HTTP_<status>, STAGE_TIMEOUT, network codes,
 * ABORTED…) and from the example pipelines' connectors (NETWORK, BAD_REPLY, SHOP_*, MERCADOPAGO_*…).
 * An unknown code falls back on its HTTP status, then on whether it is retriable. The raw
 * technical text stays available next to it (a <details> on the page).
 */

export interface PlainError {
  /** What happened, in one sentence. */
  what: string;
  /** What to do next. */
  next: string;
}

type Texts = Record<Language, PlainError>;

const say = (esWhat: string, esNext: string, enWhat: string, enNext: string): Texts => ({
  es: { what: esWhat, next: esNext },
  en: { what: enWhat, next: enNext },
});

const RETRIES_ITSELF_ES = 'Se reintenta solo; si sigue fallando, avise al equipo técnico.';
const RETRIES_ITSELF_EN = 'It is retried automatically; if it keeps failing, tell the technical team.';

const TIMEOUT = say(
  'El otro sistema tardó demasiado en responder.',
  'Suele ser pasajero: se reintenta solo. Si sigue, verifique que el servicio esté en línea.',
  'The other system took too long to answer.',
  'Usually temporary: it is retried automatically. If it persists, check that the service is up.',
);
const UNREACHABLE = say(
  'No se pudo conectar con el otro sistema.',
  'Verifique que el servicio esté en línea y la conexión a internet; se reintenta solo.',
  'Could not connect to the other system.',
  'Check that the service is up and the network works; it is retried automatically.',
);
const BAD_REPLY = say(
  'El otro sistema respondió algo que no se entiende.',
  RETRIES_ITSELF_ES,
  'The other system answered something that cannot be read.',
  RETRIES_ITSELF_EN,
);
const STOPPED = say(
  'El proceso se detuvo mientras trabajaba en esta etapa.',
  'Se retoma solo desde donde iba; no hace falta hacer nada.',
  'The process stopped while working on this stage.',
  'It resumes by itself where it left off; nothing to do.',
);
const MISSING_OUTPUT = say(
  'Una etapa anterior no dejó los datos que esta etapa necesita.',
  'Vuelva a ejecutar la etapa anterior y después esta; si se repite, avise al equipo técnico.',
  'An earlier stage left no data this stage needs.',
  'Re-run the earlier stage, then this one; if it happens again, tell the technical team.',
);
const TECHNICAL = say(
  'Falló el código de la integración, no el pago.',
  'Avise al equipo técnico; reintentar sirve cuando lo hayan corregido.',
  'The integration code failed, not the payment.',
  'Tell the technical team; retrying helps once they have fixed it.',
);
const BAD_NOTIFICATION = say(
  'La notificación de la pasarela no trae los datos necesarios.',
  'Revise el pago en la pasarela (referencia, suscripción); reintentar sin cambios fallará igual.',
  'The gateway notification lacks the data needed.',
  'Check the payment at the gateway (reference, subscription); retrying unchanged will fail again.',
);
const NOT_FOUND = say(
  'El otro sistema no encontró lo que se buscó (no existe o aún no se ha creado).',
  'Confirme que el registro existe en ese sistema (por ejemplo, la factura); cuando exista, reintente.',
  'The other system did not find what was looked up (it does not exist, or not yet).',
  'Check that the record exists in that system (for example, the invoice); once it does, retry.',
);

const BY_CODE: Record<string, Texts> = {
  TIMEOUT,
  STAGE_TIMEOUT: TIMEOUT,
  ETIMEDOUT: TIMEOUT,
  UND_ERR_CONNECT_TIMEOUT: TIMEOUT,
  UND_ERR_HEADERS_TIMEOUT: TIMEOUT,
  UND_ERR_BODY_TIMEOUT: TIMEOUT,
  NETWORK: UNREACHABLE,
  FETCH_FAILED: UNREACHABLE,
  ECONNREFUSED: UNREACHABLE,
  ECONNRESET: UNREACHABLE,
  ECONNABORTED: UNREACHABLE,
  EPIPE: UNREACHABLE,
  EAI_AGAIN: UNREACHABLE,
  ENOTFOUND: UNREACHABLE,
  EHOSTUNREACH: UNREACHABLE,
  ENETUNREACH: UNREACHABLE,
  UND_ERR_SOCKET: UNREACHABLE,
  SHOP_UNREACHABLE: UNREACHABLE,
  MERCADOPAGO_UNREACHABLE: UNREACHABLE,
  MERCADOPAGO_UNAVAILABLE: UNREACHABLE,
  BAD_REPLY,
  SHOP_BAD_REPLY: BAD_REPLY,
  MERCADOPAGO_BAD_REPLY: BAD_REPLY,
  ABORTED: STOPPED,
  WORKER_SHUTDOWN: STOPPED,
  LEASE_LOST: STOPPED,
  INTERRUPTED_TOO_OFTEN: say(
    'La etapa se interrumpió demasiadas veces seguidas sin terminar.',
    'Avise al equipo técnico antes de reintentar: algo la detiene cada vez.',
    'The stage was interrupted too many times in a row without finishing.',
    'Tell the technical team before retrying: something stops it every time.',
  ),
  PIPELINE_CODE_ERROR: TECHNICAL,
  SUMMARY_INVALID: TECHNICAL,
  UNKNOWN: TECHNICAL,
  MISSING_OUTPUT,
  ORDER_OUTPUT_MISSING: MISSING_OUTPUT,
  NO_INVOICE_ID: say(
    'La confirmación del pago no trae número de factura.',
    'Revise el pago en la pasarela: sin número de factura no se puede facturar. Reintentar no lo arregla.',
    'The payment confirmation carries no invoice number.',
    'Check the payment at the gateway: without an invoice number it cannot be invoiced. Retrying will not fix it.',
  ),
  BAD_AMOUNT: say(
    'El monto del pago no es un número válido.',
    'Revise el pago en la pasarela; reintentar sin cambios fallará igual.',
    'The payment amount is not a valid number.',
    'Check the payment at the gateway; retrying unchanged will fail again.',
  ),
  ORDER_LINES_MISSING: say(
    'El pedido pagado no tiene productos, así que no se puede descontar inventario.',
    'Revise el pedido en la tienda y corríjalo; después reintente.',
    'The paid order has no items, so no stock can be taken.',
    'Check the order in the shop and fix it; then retry.',
  ),
  OXXO_VOUCHER_MISSING: say(
    'Falta el comprobante OXXO en el evento de Stripe.',
    'Revise el pago en Stripe; reintentar sin cambios fallará igual.',
    'The OXXO voucher is missing from the Stripe event.',
    'Check the payment in Stripe; retrying unchanged will fail again.',
  ),
  STRIPE_PAYLOAD_INVALID: BAD_NOTIFICATION,
  NOTIFICATION_INVALID: BAD_NOTIFICATION,
  PAYMENT_INVALID: BAD_NOTIFICATION,
  EXTERNAL_REFERENCE_INVALID: BAD_NOTIFICATION,
  REFERENCE_MISMATCH: BAD_NOTIFICATION,
  PREAPPROVAL_MISMATCH: BAD_NOTIFICATION,
  PHONE_INVALID: say(
    'El teléfono del cliente no es un número válido: no se envió ni se guardó nada con él.',
    'Corrija el teléfono donde nacen los datos del cliente (por ejemplo, en FR360) y después reintente.',
    "The customer's phone is not a valid number: nothing was sent or saved with it.",
    "Fix the phone where the customer's data comes from (for example, in FR360), then retry.",
  ),
  MERCADOPAGO_NOT_FOUND: NOT_FOUND,
  SUBSCRIPTION_NOT_FOUND: NOT_FOUND,
  ORDER_NOT_FOUND: NOT_FOUND,
};

/** By HTTP status, for HTTP_<status> and any <SERVICE>_HTTP_<status> code. */
function byStatus(status: number): Texts | null {
  if (status === 404) return NOT_FOUND;
  if (status === 408 || status === 504) return TIMEOUT;
  if (status === 401 || status === 403) {
    return say(
      'El otro sistema no aceptó nuestras credenciales o permisos.',
      'Pida a quien administra la integración que revise la clave o el permiso; después reintente.',
      'The other system did not accept our credentials or permissions.',
      'Ask whoever runs the integration to check the key or permission; then retry.',
    );
  }
  if (status === 409) {
    return say(
      'El otro sistema estaba ocupado con este mismo registro.',
      'Se reintenta solo; no hace falta hacer nada.',
      'The other system was busy with this same record.',
      'It is retried automatically; nothing to do.',
    );
  }
  if (status === 429) {
    return say(
      'Le enviamos demasiadas solicitudes al otro sistema y pidió esperar.',
      'Se reintenta solo más tarde; no hace falta hacer nada.',
      'We sent the other system too many requests and it asked us to wait.',
      'It is retried automatically later; nothing to do.',
    );
  }
  if (status >= 500) {
    return say(
      'El otro sistema tuvo una falla interna.',
      'Es un problema de ese sistema: se reintenta solo. Si persiste, contacte a su soporte.',
      'The other system had an internal failure.',
      'The problem is on their side: it is retried automatically. If it persists, contact their support.',
    );
  }
  if (status >= 400) {
    return say(
      'El otro sistema rechazó los datos que le enviamos.',
      'Revise los datos del pago (cliente, producto, monto) y corríjalos donde se originan; reintentar sin cambios fallará igual.',
      'The other system rejected the data we sent.',
      'Check the payment data (customer, product, amount) and fix it at its origin; retrying unchanged will fail again.',
    );
  }
  return null;
}

function statusOf(error: ErrorInfo): number | null {
  if (error.httpStatus) return error.httpStatus;
  const match = /(?:^|_)HTTP_(\d{3})$/.exec(error.code ?? '');
  return match ? Number(match[1]) : null;
}

const EXHAUSTED: Record<Language, string> = {
  es: 'Se agotaron los reintentos automáticos: cuando el otro sistema esté bien, pulse Reintentar.',
  en: 'The automatic retries ran out: once the other system is fine, press Retry.',
};

/**
 * The plain words for an error in the page's language. `exhausted`: the event is dead, so a
 * retriable error will not be retried by itself any more (the next step says so). `stage`: the
 * label of the stage that failed ("Consulta de la factura en FR360"); "the other system" then
 * becomes the system behind that stage. Nothing else is guessed: the error carries no system
 * name or record of its own (its message, in the technical detail, may).
 */
export function explainError(language: Language, error: ErrorInfo, exhausted = false, stage?: string | null): PlainError {
  const known = error.code ? BY_CODE[error.code] : undefined;
  const status = statusOf(error);
  const texts = known ?? (status !== null ? byStatus(status) : null);
  const plain = texts ? texts[language] : fallback(language, error);
  const said = exhausted && error.retriable ? { what: plain.what, next: EXHAUSTED[language] } : plain;
  return stage ? { what: naming(language, said.what, stage), next: naming(language, said.next, stage) } : said;
}

/** "El otro sistema" / "ese sistema" → "el sistema de “<stage>”" (and the English alike). */
function naming(language: Language, text: string, stage: string): string {
  const named = language === 'es' ? `el sistema de “${stage}”` : `the system behind “${stage}”`;
  const capital = named.charAt(0).toUpperCase() + named.slice(1);
  return language === 'es'
    ? text
        .replace(/^El otro sistema/, capital)
        .replace(/ (al|a) otro sistema\b/g, ` al sistema de “${stage}”`)
        .replace(/\b(el otro sistema|ese sistema)\b/g, named)
    : text
        .replace(/^The other system/, capital)
        .replace(/\b(the other system|that system)\b/g, named)
        .replace(/\banother system\b/, named);
}

function fallback(language: Language, error: ErrorInfo): PlainError {
  return error.retriable
    ? say('Falló una llamada a otro sistema.', RETRIES_ITSELF_ES, 'A call to another system failed.', RETRIES_ITSELF_EN)[language]
    : say(
        'La etapa falló por un error que no se arregla reintentando.',
        'Revise el detalle técnico o avise al equipo técnico; reintentar sin cambios fallará igual.',
        'The stage failed with an error that retrying does not fix.',
        'Read the technical detail or tell the technical team; retrying unchanged will fail again.',
      )[language];
}

/** Every code with its own words (for the test that each has both languages). */
export const EXPLAINED_CODES: readonly string[] = Object.keys(BY_CODE);
