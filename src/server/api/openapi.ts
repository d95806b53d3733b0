import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { SESSION_COOKIE } from '../auth/session.js';

/**
 * The OpenAPI document, generated from the routes' zod schemas (nothing written by hand), at
 * GET /api/openapi.json, and a page to browse it at /api/docs (its assets come from the
 * @fastify/swagger-ui package: no CDN). Both are readable without credentials: they describe
 * the API and hold no data. Register before the routes: the document lists those added after.
 */
export const OPENAPI_PATH = '/api/openapi.json';
export const API_DOCS_PREFIX = '/api/docs';

/** Paths the authentication hook lets through: the document and its page. */
export function isPublicApiPath(path: string): boolean {
  return path === OPENAPI_PATH || path === API_DOCS_PREFIX || path.startsWith(`${API_DOCS_PREFIX}/`);
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'webpig API',
        version: '1',
        description:
          'The JSON API behind the dashboard (docs/api.md). Every /api route needs a session cookie or `Authorization: Bearer <token>`; ' +
          'changes made with a session cookie also send `x-csrf-token`. Times are ISO-8601 strings (UTC). Errors: `{"error":{"code","message"}}`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (webpig token create)' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: API_DOCS_PREFIX, uiConfig: { url: OPENAPI_PATH } as Record<string, unknown> });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
