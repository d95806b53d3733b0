/**
 * What the audit log's "Sobre qué" filter takes, in a finance person's words: a payment by its
 * number (#123), an alert ("alerta 12" / "alert 12"), a flag by its key. The audit log stores
 * codes (event:123, alert:12, flag:KEY), and the codes are still taken as they are.
 */
export function auditTargetOf(text: string): string | undefined {
  const typed = text.trim();
  if (typed === '') return undefined;
  if (/^[a-z]+:\S/.test(typed)) return typed;
  const payment = /^(?:(?:pago|evento|payment|event)\s*)?#?\s*(\d+)$/i.exec(typed);
  if (payment) return `event:${payment[1]}`;
  const alert = /^(?:alerta|alert)\s*#?\s*(\d+)$/i.exec(typed);
  if (alert) return `alert:${alert[1]}`;
  // Flag keys are written in capitals (WORLDOFFICE_DIAN_ENABLED); "flag <key>" takes any key.
  const flag = /^flag\s+(\S+)$/i.exec(typed) ?? /^([A-Z][A-Z0-9_]*)$/.exec(typed);
  if (flag?.[1]) return `flag:${flag[1]}`;
  return typed;
}
