import { HttpCallError, parseRetryAfter } from '../../src/index.js';

/**
 * GoHighLevel (LeadConnector API v2): the two calls the retry guide's processor makes — find or
 * create the customer's contact by e-mail, then tag it. Base URL from configuration:
 * https://services.leadconnectorhq.com in production, the sandbox otherwise.
 */
export interface GoHighLevelConfig {
  baseUrl: string;
  /** A private integration token or OAuth access token. */
  token: string;
  locationId: string;
}

export interface GhlContact {
  id: string;
  email: string;
  tags: string[];
}

async function call<T>(config: GoHighLevelConfig, method: string, path: string, body: object, signal: AbortSignal): Promise<T> {
  const response = await fetch(`${config.baseUrl.replace(/\/+$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${config.token}`, version: '2021-07-28', 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  const text = await response.text();
  if (!response.ok) {
    throw new HttpCallError(response.status, `GoHighLevel: ${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`, {
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    });
  }
  return JSON.parse(text) as T;
}

/** One contact per (location, e-mail): the same person twice is the same contact. */
export async function upsertContact(
  config: GoHighLevelConfig,
  contact: { email: string; firstName?: string },
  signal: AbortSignal,
): Promise<GhlContact> {
  const reply = await call<{ contact: GhlContact }>(
    config,
    'POST',
    '/contacts/upsert',
    { locationId: config.locationId, ...contact },
    signal,
  );
  return { ...reply.contact, tags: reply.contact.tags ?? [] };
}

export async function addTags(config: GoHighLevelConfig, contactId: string, tags: string[], signal: AbortSignal): Promise<string[]> {
  const reply = await call<{ tags: string[] }>(config, 'POST', `/contacts/${encodeURIComponent(contactId)}/tags`, { tags }, signal);
  return reply.tags;
}
