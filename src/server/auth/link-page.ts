import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOGIN_LINK_PATH, type LinkState } from './login-links.js';

/**
 * The page a sign-in link opens. It is plain server-rendered HTML with no script: a GET only
 * shows it, the "Sign in" button POSTs the token. E-mail scanners and chat previews fetch
 * links with GET, and they would otherwise use up the one-time link before the person clicks.
 */

type Language = 'es' | 'en';

const WORDS = {
  es: {
    title: 'Iniciar sesión en Web Pig',
    valid: 'Este enlace inicia sesión como',
    button: 'Iniciar sesión',
    expiresIn: (minutes: number) => `Vence en ${minutes} min. Sirve una sola vez.`,
    used: 'Este enlace ya se usó. Cada enlace sirve una sola vez.',
    expired: 'Este enlace venció (dura 15 minutos).',
    unknown: 'Este enlace no es válido.',
    again: 'Pide a un administrador un enlace nuevo:',
    you: 'tu@correo…',
    removed: 'No se pudo iniciar sesión: esta persona ya no está en la configuración de webpig.',
    crossSite: 'No se pudo iniciar sesión: el formulario llegó desde otro sitio. Abre el enlace directamente en tu navegador.',
  },
  en: {
    title: 'Sign in to Web Pig',
    valid: 'This link signs you in as',
    button: 'Sign in',
    expiresIn: (minutes: number) => `Expires in ${minutes} min. Works once.`,
    used: 'This link was already used. Each link works once.',
    expired: 'This link has expired (it lasts 15 minutes).',
    unknown: 'This link is not valid.',
    again: 'Ask an admin for a new link:',
    you: 'you@…',
    removed: 'Could not sign in: this person is no longer in webpig’s config.',
    crossSite: 'Could not sign in: the form came from another site. Open the link directly in your browser.',
  },
} as const;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:0 .75rem;background:#f6f7f9;color:#1d2433}
main{max-width:26rem;margin:12vh auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin:0 0 1rem}code{display:block;margin-top:.4rem;background:#eef1f5;padding:.4rem .6rem;border-radius:6px;overflow-wrap:anywhere}
button{font:inherit;font-weight:600;width:100%;padding:.75rem;border:0;border-radius:8px;background:#c2185b;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #1d2433;outline-offset:2px}.muted{color:#5a6475;font-size:.9rem}`;
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
/** No script at all; the form may only post here; never framed (no clickjacked button). */
const CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function pageLanguage(request: FastifyRequest): Language {
  const header = request.headers['accept-language'];
  return typeof header === 'string' && /^\s*en\b/i.test(header) ? 'en' : 'es';
}

function layout(language: Language, body: string): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${WORDS[language].title}</title><style>${STYLE}</style></head>
<body><main><h1>${WORDS[language].title}</h1>${body}</main></body></html>`;
}

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return (
    reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-store')
      // The token is in this page's URL: it must not leak to anything the page links to. Only
      // this server sees it again (the form's POST, which carries the token anyway); not
      // 'no-referrer', under which a browser sends the form's Origin as "null", which the POST
      // must refuse (a sandboxed frame on anyone's page sends that too).
      .header('referrer-policy', 'same-origin')
      .header('x-content-type-options', 'nosniff')
      .send(html)
  );
}

/**
 * Why a link signs nobody in: the link's state, the person no longer in the config, or a form
 * posted from another site (login CSRF). Each has its status and a typed code, on the page as
 * `data-code` (for support and tests; the words are the page's language).
 */
export type LinkRefusal = Exclude<LinkState, 'valid'> | 'removed' | 'crossSite';

const REFUSALS: Record<LinkRefusal, { status: number; code: string }> = {
  used: { status: 410, code: 'LOGIN_LINK_USED' },
  expired: { status: 410, code: 'LOGIN_LINK_EXPIRED' },
  unknown: { status: 404, code: 'LOGIN_LINK_UNKNOWN' },
  removed: { status: 403, code: 'PERSON_NOT_ALLOWED' },
  crossSite: { status: 403, code: 'CROSS_SITE_FORM' },
};

export function sendLinkPage(
  reply: FastifyReply,
  language: Language,
  view: { state: LinkState; email: string | null; token: string; minutesLeft: number },
): FastifyReply {
  const w = WORDS[language];
  if (view.state !== 'valid') return sendLinkRefusal(reply, language, view.state);
  return send(
    reply,
    200,
    layout(
      language,
      `<p>${w.valid} <strong>${escapeHtml(view.email ?? '')}</strong>.</p>
<form method="post" action="${LOGIN_LINK_PATH}"><input type="hidden" name="token" value="${escapeHtml(view.token)}">
<button type="submit" data-testid="link-sign-in">${w.button}</button></form>
<p class="muted">${w.expiresIn(view.minutesLeft)}</p>`,
    ),
  );
}

/** A link that signs nobody in, why (in the page's language, with its code) and what to do. */
export function sendLinkRefusal(reply: FastifyReply, language: Language, refusal: LinkRefusal): FastifyReply {
  const w = WORDS[language];
  const { status, code } = REFUSALS[refusal];
  return send(
    reply,
    status,
    layout(
      language,
      `<p data-testid="link-refused" data-code="${code}">${escapeHtml(w[refusal])}</p><p class="muted">${w.again} <code>webpig login-link ${w.you}</code></p>`,
    ),
  );
}
