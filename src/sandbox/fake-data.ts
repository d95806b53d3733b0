import { createHash } from 'node:crypto';
import type { JsonObject } from '../core/types.js';

/**
 * Deterministic customers and products for FR360 look-ups: the same invoice id always gives
 * the same person and product, so a demo and its tests agree without a fixture file.
 */

export interface FakeCustomer {
  name: string;
  /** Colombian cédula. */
  documentId: string;
  email: string;
  phone: string;
}

export interface FakeProduct {
  id: string;
  name: string;
  /** In COP. */
  price: number;
  /** FRAPP membership plan this product grants. */
  plan: string;
  /** Length of the membership. */
  months: number;
  /** Instalments of the agreement (cartera) the product is paid in. */
  installments: number;
}

export interface FakeInvoice {
  invoiceId: string;
  customer: FakeCustomer;
  product: FakeProduct;
  /** The agreement ("acuerdo") whose receivable the payment reduces, in Strapi's cartera. */
  agreementId: string;
  /** FR360's record has no phone: only ePayco's `x_customer_movil` carries it (the seeds' "o si no"). */
  fr360WithoutPhone?: true;
}

export const PRODUCTS: readonly FakeProduct[] = [
  { id: 'PROD-UDEA-2026-1', name: 'Curso Intensivo UDEA 2026 - Cuota 1', price: 403125, plan: 'UDEA 2026', months: 12, installments: 4 },
  { id: 'PROD-ELITE', name: 'Membresía Elite', price: 250000, plan: 'Elite Monthly', months: 1, installments: 1 },
  { id: 'PROD-PREU-NAL', name: 'Preuniversitario Nacional 2026', price: 890000, plan: 'Preu Nacional', months: 10, installments: 2 },
  { id: 'PROD-SIM-S11', name: 'Simulacro Saber 11', price: 45000, plan: 'Simulacro', months: 1, installments: 1 },
];

const FIRST_NAMES = ['Juan', 'María', 'Andrés', 'Valentina', 'Santiago', 'Camila', 'Sebastián', 'Daniela', 'Mateo', 'Laura'];
const LAST_NAMES = ['Pérez', 'Gómez', 'Rodríguez', 'Martínez', 'López', 'García', 'Ramírez', 'Torres', 'Restrepo', 'Ospina'];

/** Invoices with fixed, documented data. INV-373 is the seeds' incident (webhook 373). */
const FIXED: Record<string, FakeInvoice> = {
  'INV-373': {
    invoiceId: 'INV-373',
    customer: {
      name: 'Cliente Incidente',
      documentId: '1036654321',
      // Mixed case on purpose: the original CRM webhook failed on case-sensitive e-mail matching.
      email: 'Cliente@Example.com',
      phone: '573001112233',
    },
    product: PRODUCTS[0] as FakeProduct,
    agreementId: '25102764360103',
  },
  'INV-ELITE-001': {
    invoiceId: 'INV-ELITE-001',
    customer: { name: 'Juan Pérez', documentId: '1234567890', email: 'juan@example.com', phone: '573001234567' },
    product: PRODUCTS[1] as FakeProduct,
    agreementId: '25010000000001',
  },
  // A phone typed the way people type it: every connector must send it as +573001234567.
  'INV-PHONE-FORMATTED': {
    invoiceId: 'INV-PHONE-FORMATTED',
    customer: { name: 'Laura Ospina', documentId: '1098765432', email: 'laura@example.com', phone: '+57 (300) 123-4567' },
    product: PRODUCTS[1] as FakeProduct,
    agreementId: '25010000000002',
  },
  // A phone no one can write to: WhatsApp and the CRM must refuse it (PHONE_INVALID), not send it.
  'INV-BAD-PHONE': {
    invoiceId: 'INV-BAD-PHONE',
    customer: { name: 'Mateo Torres', documentId: '1011121314', email: 'mateo@example.com', phone: '300 12' },
    product: PRODUCTS[1] as FakeProduct,
    agreementId: '25010000000003',
  },
  // The incident's second instalment: another invoice of the same customer and agreement, so
  // both payments go to one Strapi cartera.
  'INV-373-2': {
    invoiceId: 'INV-373-2',
    customer: { name: 'Cliente Incidente', documentId: '1036654321', email: 'Cliente@Example.com', phone: '573001112233' },
    product: { ...(PRODUCTS[0] as FakeProduct), id: 'PROD-UDEA-2026-2', name: 'Curso Intensivo UDEA 2026 - Cuota 2' },
    agreementId: '25102764360103',
  },
  // FR360 knows no phone for this customer; the payer typed it at ePayco (x_customer_movil).
  'INV-NO-PHONE': {
    invoiceId: 'INV-NO-PHONE',
    customer: { name: 'Sofía Restrepo', documentId: '1020304050', email: 'sofia@example.com', phone: '573004445566' },
    product: PRODUCTS[1] as FakeProduct,
    agreementId: '25010000000004',
    fr360WithoutPhone: true,
  },
};

/** Invoice ids with this prefix are unknown to FR360 (404), to show permanent failures. */
export const UNKNOWN_INVOICE_PREFIX = 'UNKNOWN-';

export function fakeInvoice(invoiceId: string): FakeInvoice | undefined {
  const fixed = FIXED[invoiceId];
  if (fixed) return fixed;
  if (invoiceId.startsWith(UNKNOWN_INVOICE_PREFIX)) return undefined;
  const digest = createHash('sha256').update(invoiceId).digest();
  const pick = <T>(list: readonly T[], byte: number): T => list[(digest[byte] ?? 0) % list.length] as T;
  const first = pick(FIRST_NAMES, 0);
  const last = pick(LAST_NAMES, 1);
  const number = digest.readUInt32BE(4);
  const documentId = String(1_000_000_000 + (number % 99_000_000));
  const email = `${ascii(first)}.${ascii(last)}${number % 1000}@example.com`;
  // Some customers type their e-mail with capitals; the CRM must still find them.
  const shownEmail = (digest[8] ?? 0) % 4 === 0 ? capitalise(email) : email;
  return {
    invoiceId,
    customer: {
      name: `${first} ${last}`,
      documentId,
      email: shownEmail,
      phone: `57300${String(digest.readUInt32BE(12) % 10_000_000).padStart(7, '0')}`,
    },
    product: pick(PRODUCTS, 16),
    agreementId: String(25_000_000_000_000 + (digest.readUInt32BE(20) % 1_000_000_000)),
  };
}

export function invoiceJson(invoice: FakeInvoice): JsonObject {
  const { phone, ...withoutPhone } = invoice.customer;
  return {
    invoiceId: invoice.invoiceId,
    customer: invoice.fr360WithoutPhone ? withoutPhone : { ...withoutPhone, phone },
    product: { ...invoice.product },
    agreementId: invoice.agreementId,
  };
}

function ascii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function capitalise(email: string): string {
  return email.charAt(0).toUpperCase() + email.slice(1);
}
