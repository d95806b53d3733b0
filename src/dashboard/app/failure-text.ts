import { ApiError } from './api.js';
import type { MessageKey } from './i18n.js';

/**
 * What a failed request says on the page: the server's words are English and name its codes,
 * so the refusals an operator meets in a normal day (someone else got there first, the alert
 * resolved meanwhile, a role that may not, an expired session, the server out of reach) are
 * said in the page's language with what to do next. Anything else keeps the server's sentence,
 * which names the field or value at fault.
 */
const BY_CODE: Readonly<Record<string, MessageKey>> = {
  NOT_RETRIABLE: 'failureNotRetriable',
  EVENT_NOT_DEAD: 'failureEventNotDead',
  ALERT_RESOLVED: 'failureAlertResolved',
  ALERT_ACKNOWLEDGED: 'failureAlertAcknowledged',
  FORBIDDEN: 'failureForbidden',
  UNAUTHENTICATED: 'failureSignedOut',
  CSRF_TOKEN_INVALID: 'failureSignedOut',
  EVENT_NOT_FOUND: 'failureNotFound',
  NOT_FOUND: 'failureNotFound',
  FLAG_NOT_FOUND: 'failureNotFound',
};

export function failureText(t: (key: MessageKey) => string, error: unknown): string {
  if (error instanceof ApiError) {
    const key = BY_CODE[error.code];
    return key ? t(key) : error.message;
  }
  // fetch() rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return t('failureOffline');
  return t('unknownError');
}
