import type { FastifyInstance } from 'fastify';

/**
 * The shop's subscription page, as the demo shows it: the seed's "Continuar al pago" button
 * calls the checkout endpoint (press it twice, or in two tabs: one record), and a second button
 * plays MercadoPago's part — it creates an authorised preapproval at the sandbox's MercadoPago
 * (`/sandbox/mercadopago`, same origin in the demo) and follows the return redirect, which
 * activates the subscription once. The script is a separate file so the page can forbid inline
 * code (`default-src 'self'`).
 *
 *   GET /shop/subscriptions/page      GET /shop/subscriptions/page.js
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="es">
<head>
<meta charset="utf-8">
<title>PetGourmet · Suscripción (ejemplo webpig)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  label { display: block; margin: .5rem 0; }
  button { margin: .5rem .5rem .5rem 0; padding: .5rem 1rem; }
  #result { white-space: pre-wrap; background: #f4f4f4; padding: .5rem; min-height: 2rem; }
  td, th { padding: .2rem .6rem; text-align: left; }
</style>
<script src="/shop/subscriptions/page.js" defer></script>
</head>
<body>
<h1>PetGourmet · Suscripción</h1>
<p>Ejemplo de <code>examples/subscriptions</code>: una suscripción es un solo registro por usuario y referencia externa, la active quien la active primero.</p>
<label>Usuario <input id="user" value="cliente-demo" pattern="[A-Za-z0-9_.-]{1,64}"></label>
<label>Plan <select id="plan"><option value="plan-mensual">Mensual</option><option value="plan-anual">Anual</option></select></label>
<button id="checkout" type="button">Continuar al pago</button>
<button id="approve" type="button" disabled>Aprobar en MercadoPago (sandbox)</button>
<div id="result" role="status" aria-live="polite"></div>
<h2>Suscripciones del usuario</h2>
<table><thead><tr><th>id</th><th>referencia</th><th>estado</th><th>activada por</th><th>preapproval</th></tr></thead><tbody id="rows"></tbody></table>
</body>
</html>
`;

const SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
let reference = null;

function show(text) { $('result').textContent = text; }

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok && res.status !== 202) throw new Error((json.error && json.error.message) || ('HTTP ' + res.status));
  return json;
}

async function refresh() {
  const { items } = await call('GET', '/shop/subscriptions?userId=' + encodeURIComponent($('user').value));
  const rows = $('rows');
  rows.replaceChildren(...items.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.id = String(s.id);
    for (const v of [s.id, s.externalReference, s.status, s.activatedBy || '', s.mercadopagoPreapprovalId || '']) {
      const td = document.createElement('td');
      td.textContent = String(v);
      tr.append(td);
    }
    return tr;
  }));
}

$('checkout').addEventListener('click', async () => {
  try {
    const { subscription, created } = await call('POST', '/shop/subscriptions/checkout', { userId: $('user').value, planId: $('plan').value });
    reference = subscription.externalReference;
    $('approve').disabled = false;
    show('Suscripción #' + subscription.id + ' (' + subscription.status + ') ' + (created ? 'creada' : 'ya existía: la misma'));
  } catch (err) { show('Error: ' + err.message); }
  await refresh();
});

$('approve').addEventListener('click', async () => {
  if (!reference) return;
  try {
    const preapproval = await call('POST', '/sandbox/mercadopago/preapprovals', {
      status: 'authorized', external_reference: reference, payer_email: $('user').value + '@example.com', reason: $('plan').value,
    });
    const query = new URLSearchParams({ status: 'approved', preapproval_id: preapproval.id, external_reference: reference });
    const result = await call('GET', '/shop/subscriptions/return?' + query.toString());
    show('Retorno de MercadoPago: ' + result.outcome);
  } catch (err) { show('Error: ' + err.message); }
  await refresh();
});

refresh().catch((err) => show('Error: ' + err.message));
`;

export function registerCheckoutPage(app: FastifyInstance): void {
  app.get('/shop/subscriptions/page', async (_request, reply) =>
    reply.header('content-security-policy', CSP).type('text/html; charset=utf-8').send(PAGE),
  );
  app.get('/shop/subscriptions/page.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(SCRIPT));
}
