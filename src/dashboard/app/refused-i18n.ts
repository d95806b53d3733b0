import type { Language } from './i18n.js';

/**
 * The refused-deliveries view's words (RefusedView.tsx), in Spanish and English: per refusal code,
 * why in plain words and what to do. Codes: src/core/http-errors.ts and src/sources/source.ts.
 */

interface Reason {
  why: string;
  todo: string;
}

type Words = Record<
  | 'title'
  | 'intro'
  | 'none'
  | 'loadMore'
  | 'loading'
  | 'sentTo'
  | 'from'
  | 'technical'
  | 'bodyStart'
  | 'status'
  | 'back'
  | 'shown'
  | 'shownOne'
  | 'countToday'
  | 'countWeek',
  string
>;

const es: { words: Words; reasons: Record<string, Reason>; other: Reason } = {
  words: {
    title: 'Entregas rechazadas',
    intro:
      'Webhooks que llegaron a Web Pig y no se aceptaron: no se guardaron y ningún flujo los procesó. Pueden ser intentos falsos, o pagos reales si algo está mal configurado: un pago real rechazado no aparece hasta que el proveedor reintente o una conciliación lo encuentre.',
    none: 'No hay entregas rechazadas.',
    loadMore: 'Ver más antiguas',
    loading: 'Cargando…',
    sentTo: 'Enviada a',
    from: 'desde',
    technical: 'Detalle técnico',
    bodyStart: 'Inicio del contenido (datos secretos ocultos)',
    status: 'Respuesta',
    back: 'Volver al inicio',
    shown: '{n} mostradas, la más reciente primero',
    shownOne: '1 mostrada',
    countToday: 'hoy',
    countWeek: 'esta semana',
  },
  reasons: {
    SIGNATURE_INVALID: {
      why: 'La firma no coincide: no fue firmada con la clave que Web Pig tiene para este proveedor.',
      todo: 'Si hay varias seguidas de su proveedor, es probable que cambiaran la clave de firma: pida a quien administra Web Pig actualizarla. Una sola desde una dirección desconocida suele ser un intento falso.',
    },
    SIGNATURE_MISSING: {
      why: 'Llegó sin firma.',
      todo: 'Los proveedores siempre firman sus webhooks: si viene de su proveedor, pida revisar la configuración del webhook; si no, no hay nada que hacer.',
    },
    TIMESTAMP_OUT_OF_TOLERANCE: {
      why: 'Firmada hace demasiado tiempo (o con la hora adelantada).',
      todo: 'Si se repite, pida revisar la hora del servidor. El proveedor suele reintentar.',
    },
    VALIDATION_MISMATCH: {
      why: 'ePayco no conoce esa referencia, o su valor o moneda no son los firmados.',
      todo: 'Busque la referencia en el panel de ePayco: si existe allí, la conciliación la traerá; si no, no hubo pago.',
    },
    BODY_TOO_LARGE: {
      why: 'El contenido era demasiado grande.',
      todo: 'Las notificaciones de pago son pequeñas: casi seguro no es su proveedor. Si lo es, avise a quien administra Web Pig.',
    },
    UNKNOWN_SOURCE: {
      why: 'Enviada a una dirección que no corresponde a ningún proveedor configurado.',
      todo: 'Si es de su proveedor, revise la URL del webhook configurada allí (un error de escritura); si no, no hay nada que hacer.',
    },
    MALFORMED_BODY: {
      why: 'El contenido no se pudo leer.',
      todo: 'Si viene de su proveedor, avise a quien administra Web Pig con el detalle técnico.',
    },
    MISSING_FIELD: {
      why: 'Le faltaba un dato obligatorio.',
      todo: 'Si viene de su proveedor, avise a quien administra Web Pig con el detalle técnico.',
    },
    UNSUPPORTED_MEDIA_TYPE: {
      why: 'Llegó en un formato que no se acepta.',
      todo: 'Si viene de su proveedor, avise a quien administra Web Pig con el detalle técnico.',
    },
    METHOD_NOT_ALLOWED: {
      why: 'No era un envío (p. ej. alguien abrió la dirección en un navegador).',
      todo: 'Nada que hacer: no traía ningún pago.',
    },
  },
  other: { why: 'La solicitud no se aceptó ({code}).', todo: 'Si se repite, avise a quien administra Web Pig con el detalle técnico.' },
};

const en: typeof es = {
  words: {
    title: 'Refused deliveries',
    intro:
      'Webhooks that reached Web Pig and were not accepted: they were not stored and no pipeline ran them. They may be forgeries, or real payments if something is misconfigured: a real payment refused does not show until the provider retries or a reconciliation finds it.',
    none: 'No refused deliveries.',
    loadMore: 'Show older',
    loading: 'Loading…',
    sentTo: 'Sent to',
    from: 'from',
    technical: 'Technical detail',
    bodyStart: 'Start of the content (secret data hidden)',
    status: 'Answer',
    back: 'Back to the home',
    shown: '{n} shown, newest first',
    shownOne: '1 shown',
    countToday: 'today',
    countWeek: 'this week',
  },
  reasons: {
    SIGNATURE_INVALID: {
      why: 'Bad signature: it was not signed with the key Web Pig has for this provider.',
      todo: 'If several in a row come from your provider, its signing key has probably changed: ask whoever runs Web Pig to update it. A single one from an unknown address is usually a forgery.',
    },
    SIGNATURE_MISSING: {
      why: 'It came without a signature.',
      todo: "Providers always sign their webhooks: if it is your provider's, ask for the webhook's settings to be checked; otherwise there is nothing to do.",
    },
    TIMESTAMP_OUT_OF_TOLERANCE: {
      why: 'Signed too long ago (or with a clock ahead).',
      todo: "If it repeats, ask for the server's clock to be checked. The provider usually retries.",
    },
    VALIDATION_MISMATCH: {
      why: 'Unknown reference at ePayco, or its amount or currency are not the signed ones.',
      todo: "Look the reference up in ePayco's panel: if it is there, reconciliation will bring it; if not, there was no payment.",
    },
    BODY_TOO_LARGE: {
      why: 'The body was too large.',
      todo: 'Payment notifications are small: almost certainly not your provider. If it is, tell whoever runs Web Pig.',
    },
    UNKNOWN_SOURCE: {
      why: 'Sent to an address that belongs to no configured provider.',
      todo: "If it is your provider's, check the webhook URL configured there (a typo); otherwise there is nothing to do.",
    },
    MALFORMED_BODY: {
      why: 'Its content could not be read.',
      todo: "If it is your provider's, tell whoever runs Web Pig, with the technical detail.",
    },
    MISSING_FIELD: {
      why: 'A required field was missing.',
      todo: "If it is your provider's, tell whoever runs Web Pig, with the technical detail.",
    },
    UNSUPPORTED_MEDIA_TYPE: {
      why: 'It came in a format that is not accepted.',
      todo: "If it is your provider's, tell whoever runs Web Pig, with the technical detail.",
    },
    METHOD_NOT_ALLOWED: {
      why: 'Not a delivery (e.g. someone opened the address in a browser).',
      todo: 'Nothing to do: it carried no payment.',
    },
  },
  other: { why: 'The request was not accepted ({code}).', todo: 'If it repeats, tell whoever runs Web Pig, with the technical detail.' },
};

export type RefusedWord = keyof Words;

export function refusedWords(language: Language): (key: RefusedWord, n?: number) => string {
  const table = language === 'en' ? en : es;
  return (key, n) => table.words[key].replace('{n}', String(n ?? ''));
}

/** Why a delivery with this code was refused, and what to do, in the page's language. */
export function refusalReason(language: Language, code: string): Reason {
  const table = language === 'en' ? en : es;
  const known = Object.prototype.hasOwnProperty.call(table.reasons, code) ? table.reasons[code] : undefined;
  return known ?? { why: table.other.why.replace('{code}', code), todo: table.other.todo };
}
