import type { Language } from './i18n.js';

/**
 * Words of the home page and the metrics view, in Spanish and English. Kept apart from i18n.ts
 * (which holds the rest of the page) so each view's words read in one place.
 */

const es = {
  homeTitle: 'Lo que necesita atención',
  homeHelpSummary: '¿Qué significan estas cifras?',
  homeHelpReceived: 'Recibido: pagos aprobados (transacción aceptada) que llegaron en el periodo, en {currency}.',
  homeHelpInvoiced: 'Facturado: de esos, los que ejecutaron todas las etapas de su flujo (factura, contabilidad, DIAN…).',
  homeHelpStagesOff:
    'Completado con etapas apagadas: terminaron, pero alguna etapa no se ejecutó porque su interruptor estaba apagado (p. ej. la factura no se envió a la DIAN). Puede quedar algo pendiente.',
  homeHelpStuck: 'Atascado: los que se detuvieron por un error (fallidos) o esperan otro intento (reintentando). Necesitan a alguien.',
  homeHelpHandled: 'Atendido a mano: fallidos que alguien marcó como atendidos; siguen fallidos, pero ya no están en Atascado.',
  homeHelpInProgress: 'En proceso: en cola o ejecutándose ahora. Ignorado: ningún flujo se aplicó a ellos.',
  homeHelpEquation: 'Recibido = facturado + completado con etapas apagadas + atascado + atendido a mano + en proceso + ignorado.',
  homeHelpReversed:
    'Reversado: reversiones y reembolsos (transacción reversada) que llegaron en el periodo. Se muestran aparte: no se restan de lo recibido.',
  homeHelpTime:
    '"Hoy" y "esta semana" (desde el lunes) se cuentan en la hora de {timeZone}. Los pagos en otra moneda se cuentan aparte, una línea por moneda, y no se suman.',
  homeNow: 'Ahora',
  homeDead: 'Fallidos sin atender',
  homeDeadOne: 'Fallido sin atender',
  homeDeadTotal: '{n} fallidos en total',
  homeRetrying: 'Reintentando',
  homeProcessing: 'Procesando',
  homeQueued: 'En cola',
  homeIgnoredWeek: 'Ignorados esta semana',
  homeIgnoredWeekOne: 'Ignorado esta semana',
  homeRejectedToday: 'Entregas rechazadas hoy',
  homeRejectedTodayOne: 'Entrega rechazada hoy',
  homeRejectedWeek: 'esta semana',
  homeRejectedHelp: 'Webhooks que no pasaron la verificación (firma, formato): no se guardaron como eventos.',
  homeRejectedWhat: 'No se guardaron. Si son de su proveedor, pida a quien administra Web Pig revisar su clave de firma.',
  homeRejectedHelpLong:
    'Entregas rechazadas: webhooks que no pasaron la verificación (firma o formato) y no se guardaron. Pueden ser intentos falsos, o pagos reales si cambió la clave de firma del proveedor: esos pagos no aparecen aquí hasta que el proveedor reintente o se concilien. Si se repiten, pida a quien administra Web Pig revisar la clave de ese proveedor.',
  homeDeliveriesToday: 'Webhooks recibidos hoy',
  homeDeliveriesTodayOne: 'Webhook recibido hoy',
  homeDeliveriesWeek: '{n} esta semana',
  homeDeliveriesNone: 'ninguno hoy',
  homeDeliveriesKinds: 'de todo tipo: pagos, rechazos, reembolsos…',
  homeDeliveriesHelp:
    'Webhooks recibidos: notificaciones que cada proveedor envió y Web Pig guardó, cada una una sola vez (si el proveedor la repite no se cuenta de nuevo); los pagos encontrados al conciliar no cuentan.',
  homeRecoveredWeek: 'Pagos del proveedor nunca notificados esta semana',
  homeRecoveredWeekOne: 'Pago del proveedor nunca notificado esta semana',
  homeRecoveredToday: 'hoy',
  homeRecoveredHelp:
    'Pagos que el proveedor tiene pero cuyo webhook nunca llegó: webpig los encontró al conciliar y los procesó. Si aparecen, revise el endpoint del webhook en el proveedor.',
  homeIgnoredNone: 'Ninguno',
  homeIgnoredStale: 'llegaron fuera de orden',
  homeIgnoredInvalid: 'cambio de estado no permitido',
  homeIgnoredNoPipeline: 'ningún flujo para su tipo',
  homeIgnoredNotApplicable: 'no aplican a su flujo',
  homeMoney: 'Dinero',
  homeToday: 'Hoy',
  homeWeek: 'Esta semana',
  homeReceived: 'Recibido',
  homeInvoiced: 'Facturado',
  homeStuck: 'Atascado',
  homeInProgress: 'En proceso',
  homeStagesOff: 'Completado con etapas apagadas',
  homeHandled: 'Atendido a mano',
  homeIgnored: 'Ignorado',
  homeReversed: 'Reversado',
  homeReversedApart: 'aparte: no se resta',
  homePayments: '{n} pagos',
  homePayment: '{n} pago',
  homeDeadTotalOne: '{n} fallido en total',
  homeOtherCurrencies: 'En otra moneda (no sumados)',
  homeNoCurrency: 'Sin moneda',
  homeNoCurrencyTitle: 'Pagos sin moneda en sus datos: la lista de eventos no los puede filtrar aparte.',
  homeLinkTitle: 'Ver estos {n} eventos',
  filterCurrency: 'Moneda: {currency}',
  filterHandled: 'Atendidos a mano',
  filterNotHandled: 'Sin atender',
  filterStagesOff: 'Con etapas apagadas',
  filterAllStagesRan: 'Todas las etapas ejecutadas',
  filterRecovered: 'Encontrados al conciliar (el webhook nunca llegó)',
  filterByWebhook: 'Recibidos por webhook',
  filterRemove: 'Quitar filtro',
  homePinned: 'Fallidos que esperan a alguien',
  homePinnedNone: 'Ningún evento fallido espera atención.',
  homePinnedMore: 'Hay más: ver todos los fallidos',
  homeMarkHandled: 'Marcar como atendido',
  homeMarkHandledTitle: 'Marcar como atendido',
  homeMarkHandledBody:
    'El evento sigue como fallido (sí falló), pero deja de estar fijado aquí. Queda registrado quién, cuándo y por qué, y se ve en su historial.',
  homeMarkHandledReason: 'Cómo se atendió (p. ej. "reembolsado a mano", "facturado a mano en WorldOffice")',
  homeMarkHandledMissing: 'Escriba cómo se atendió este evento.',
  homeHandledDone: 'Marcado como atendido.',
  homeOpen: 'Ver detalle',
  homeSeeEvents: 'Ver eventos',
  metricsTitle: 'Últimas 24 horas',
  metricsDay: 'Últimas 24 horas',
  metricsLastHour: 'Esta hora (desde las {hour})',
  metricsEquation:
    '{received} {received|recibido|recibidos} = {succeeded} {succeeded|completado|completados} + {ignored} {ignored|ignorado|ignorados} + {failed} {failed|fallido|fallidos} + {inFlight} en curso',
  metricsPerHour: 'Eventos por hora',
  metricsDurations: 'Cuánto tarda cada etapa (mediana, por hora)',
  metricsStages: 'Etapas',
  metricsStage: 'Etapa',
  metricsRan: 'Ejecuciones',
  metricsOk: 'Salieron bien',
  metricsTypical: 'Suele tardar',
  metricsSlow: 'Las más lentas (1 de 20)',
  metricsNoData: 'Sin actividad en las últimas 24 horas.',
  metricsAsTable: 'Ver los datos como tabla',
  metricsHour: 'Hora',
  metricsReceived: 'Recibidos',
  metricsSucceeded: 'Completados',
  metricsIgnored: 'Ignorados',
  metricsFailed: 'Fallidos',
  metricsInFlight: 'En curso',
  metricsChartSummary:
    'En las últimas 24 horas: {received} {received|recibido|recibidos}, {succeeded} {succeeded|completado|completados}, {ignored} {ignored|ignorado|ignorados}, {failed} {failed|fallido|fallidos}, {inFlight} en curso.',
  metricsDurationSummary: 'Mediana de duración por etapa y hora, en segundos.',
  metricsOther: 'Otras etapas',
  lessThanASecond: 'menos de 1 s',
  homeRetryingNext: 'se reintentan solos',
  homeRetryNextAt: 'próximo intento {at}',
  homeRetryOverdue: 'intento pendiente desde {at}',
};

export type HomeWord = keyof typeof es;

const en: Record<HomeWord, string> = {
  homeTitle: 'What needs attention',
  homeHelpSummary: 'What do these numbers mean?',
  homeHelpReceived: 'Received: approved payments (transaction accepted) that arrived in the period, in {currency}.',
  homeHelpInvoiced: 'Invoiced: of those, the ones that ran every stage of their pipeline (invoice, accounting, DIAN…).',
  homeHelpStagesOff:
    'Done with stages switched off: finished, but a stage did not run because its switch was off (e.g. the invoice was not sent to the DIAN). Something may still be owed.',
  homeHelpStuck: 'Stuck: the ones that stopped on an error (failed) or wait for another try (retrying). They need someone.',
  homeHelpHandled: 'Handled by hand: failed ones someone marked as handled; they stay failed, but are no longer in Stuck.',
  homeHelpInProgress: 'In progress: queued or running now. Ignored: no pipeline applied to them.',
  homeHelpEquation: 'Received = invoiced + done with stages switched off + stuck + handled by hand + in progress + ignored.',
  homeHelpReversed:
    'Reversed: reversals and refunds (transaction reversed) that arrived in the period. Shown apart: not subtracted from received.',
  homeHelpTime:
    '"Today" and "this week" (from Monday) are counted in {timeZone} time. Payments in another currency are counted apart, one line per currency, not added.',
  homeNow: 'Now',
  homeDead: 'Failed, not handled',
  homeDeadOne: 'Failed, not handled',
  homeDeadTotal: '{n} failed in all',
  homeRetrying: 'Retrying',
  homeProcessing: 'Processing',
  homeQueued: 'Queued',
  homeIgnoredWeek: 'Ignored this week',
  homeIgnoredWeekOne: 'Ignored this week',
  homeRejectedToday: 'Deliveries refused today',
  homeRejectedTodayOne: 'Delivery refused today',
  homeRejectedWeek: 'this week',
  homeRejectedHelp: 'Webhooks that failed the checks (signature, format): they were not stored as events.',
  homeRejectedWhat: "Not stored. If they are your provider's, ask whoever runs Web Pig to check its signing key.",
  homeRejectedHelpLong:
    "Deliveries refused: webhooks that failed the checks (signature or format) and were not stored. They may be forged attempts, or real payments if the provider's signing key changed: those payments are not here until the provider retries or reconciliation finds them. If they keep coming, ask whoever runs Web Pig to check that provider's key.",
  homeDeliveriesToday: 'Webhooks received today',
  homeDeliveriesTodayOne: 'Webhook received today',
  homeDeliveriesWeek: '{n} this week',
  homeDeliveriesNone: 'none today',
  homeDeliveriesKinds: 'of every kind: payments, declines, refunds…',
  homeDeliveriesHelp:
    'Webhooks received: notifications each provider sent and Web Pig kept, each one once (a repeat from the provider is not counted again); payments found by reconciliation are not counted.',
  homeRecoveredWeek: 'Provider payments never notified this week',
  homeRecoveredWeekOne: 'Provider payment never notified this week',
  homeRecoveredToday: 'today',
  homeRecoveredHelp:
    'Payments the provider has whose webhook never arrived: webpig found them by reconciliation and processed them. If any show up, check the webhook endpoint at the provider.',
  homeIgnoredNone: 'None',
  homeIgnoredStale: 'arrived out of order',
  homeIgnoredInvalid: 'state change not allowed',
  homeIgnoredNoPipeline: 'no pipeline for their type',
  homeIgnoredNotApplicable: 'not applicable to their pipeline',
  homeMoney: 'Money',
  homeToday: 'Today',
  homeWeek: 'This week',
  homeReceived: 'Received',
  homeInvoiced: 'Invoiced',
  homeStuck: 'Stuck',
  homeInProgress: 'In progress',
  homeStagesOff: 'Done with stages switched off',
  homeHandled: 'Handled by hand',
  homeIgnored: 'Ignored',
  homeReversed: 'Reversed',
  homeReversedApart: 'apart: not subtracted',
  homePayments: '{n} payments',
  homePayment: '{n} payment',
  homeDeadTotalOne: '{n} failed in all',
  homeOtherCurrencies: 'In another currency (not added)',
  homeNoCurrency: 'No currency',
  homeNoCurrencyTitle: 'Payments with no currency in their data: the events list cannot filter them apart.',
  homeLinkTitle: 'See these {n} events',
  filterCurrency: 'Currency: {currency}',
  filterHandled: 'Handled by hand',
  filterNotHandled: 'Not handled',
  filterStagesOff: 'With stages switched off',
  filterAllStagesRan: 'Every stage ran',
  filterRecovered: 'Found by reconciliation (the webhook never arrived)',
  filterByWebhook: 'Received by webhook',
  filterRemove: 'Remove filter',
  homePinned: 'Failed events waiting for someone',
  homePinnedNone: 'No failed event is waiting for anyone.',
  homePinnedMore: 'There are more: see every failed event',
  homeMarkHandled: 'Mark as handled',
  homeMarkHandledTitle: 'Mark as handled',
  homeMarkHandledBody:
    'The event stays failed (it did fail) but is no longer pinned here. Who, when and why are recorded and shown in its history.',
  homeMarkHandledReason: 'How it was handled (e.g. "refunded by hand", "invoiced by hand in WorldOffice")',
  homeMarkHandledMissing: 'Write how this event was handled.',
  homeHandledDone: 'Marked as handled.',
  homeOpen: 'Details',
  homeSeeEvents: 'See events',
  metricsTitle: 'Last 24 hours',
  metricsDay: 'Last 24 hours',
  metricsLastHour: 'This hour (since {hour})',
  metricsEquation: '{received} received = {succeeded} done + {ignored} ignored + {failed} failed + {inFlight} in flight',
  metricsPerHour: 'Events per hour',
  metricsDurations: 'How long each stage takes (median, per hour)',
  metricsStages: 'Stages',
  metricsStage: 'Stage',
  metricsRan: 'Runs',
  metricsOk: 'Went well',
  metricsTypical: 'Usually takes',
  metricsSlow: 'Slowest (1 in 20)',
  metricsNoData: 'No activity in the last 24 hours.',
  metricsAsTable: 'See the data as a table',
  metricsHour: 'Hour',
  metricsReceived: 'Received',
  metricsSucceeded: 'Done',
  metricsIgnored: 'Ignored',
  metricsFailed: 'Failed',
  metricsInFlight: 'In flight',
  metricsChartSummary:
    'In the last 24 hours: {received} received, {succeeded} done, {ignored} ignored, {failed} failed, {inFlight} in flight.',
  metricsDurationSummary: 'Median duration per stage and hour, in seconds.',
  metricsOther: 'Other stages',
  lessThanASecond: 'under 1 s',
  homeRetryingNext: 'retried on their own',
  homeRetryNextAt: 'next attempt at {at}',
  homeRetryOverdue: 'attempt overdue since {at}',
};

export type HomeTranslate = (key: HomeWord, values?: Record<string, string | number>) => string;

/**
 * The words in this language, with `{name}` placeholders filled from `values`, and
 * `{name|one|many}` the word that agrees with that number ("1 fallido", "2 fallidos").
 */
export function homeWords(language: Language): HomeTranslate {
  const words = language === 'en' ? en : es;
  return (key, values) =>
    words[key].replace(/\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}/g, (whole, name: string, one?: string, many?: string) => {
      if (!values || !(name in values)) return whole;
      if (one === undefined || many === undefined) return String(values[name]);
      return Number(values[name]) === 1 ? one : many;
    });
}

/** "1 pago", "2 pagos": `one` for exactly one, `many` otherwise (both languages' rule), with `{n}` filled. */
export function countWords(words: HomeTranslate, n: number, one: HomeWord, many: HomeWord): string {
  return words(n === 1 ? one : many, { n });
}
