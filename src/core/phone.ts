import { PermanentError } from './errors.js';

/**
 * Phone numbers in E.164 (`+573001234567`), whatever shape the source gave: "300 123 4567",
 * "3001234567", "57 300 123 4567", "+57 (300) 123-4567", "0057 300.123.4567". A number
 * without a country code is read as a number of the default country (Colombia unless told).
 * WhatsApp and the CRMs want E.164; a number that cannot be made one is a `PhoneNumberError`
 * (code `PHONE_INVALID`, permanent: retrying does not fix the customer's data), never a
 * message sent to a wrong or half number.
 */

export interface CountryPlan {
  /** The country calling code, without `+`. */
  callingCode: string;
  /** A valid national significant number (what follows the calling code). */
  national: RegExp;
  /** An example, for the error message. */
  example: string;
}

/**
 * The countries a default may name (ISO 3166-1 alpha-2). Numbers of any country are accepted
 * when they come with their `+` code; these plans only say how to read a number without one.
 */
export const COUNTRY_PLANS: Readonly<Record<string, CountryPlan>> = {
  // Mobiles 3xx xxx xxxx; landlines 60 + area + number since the 2021 numbering plan.
  CO: { callingCode: '57', national: /^(?:3\d{9}|60\d{8})$/, example: '300 123 4567' },
  MX: { callingCode: '52', national: /^[1-9]\d{9}$/, example: '55 1234 5678' },
  US: { callingCode: '1', national: /^[2-9]\d{2}[2-9]\d{6}$/, example: '212 555 0123' },
  PE: { callingCode: '51', national: /^9\d{8}$/, example: '912 345 678' },
  EC: { callingCode: '593', national: /^9\d{8}$/, example: '99 123 4567' },
  CL: { callingCode: '56', national: /^9\d{8}$/, example: '9 1234 5678' },
  ES: { callingCode: '34', national: /^[6-9]\d{8}$/, example: '612 345 678' },
};

export const DEFAULT_PHONE_COUNTRY = 'CO';

export class PhoneNumberError extends PermanentError {
  constructor(message: string) {
    super(message, { code: 'PHONE_INVALID' });
  }
}

/** Separators people and forms put in phone numbers. */
const SEPARATORS = /[\s\-.()/\u00a0]/g;

/**
 * The number in E.164, or a `PhoneNumberError` that says what is wrong with it.
 * `defaultCountry`: how to read a number without a country code. (Default: 'CO')
 */
export function toE164(raw: string | null | undefined, defaultCountry: string = DEFAULT_PHONE_COUNTRY): string {
  const plan = COUNTRY_PLANS[defaultCountry];
  if (!plan) {
    throw new PhoneNumberError(`unknown default phone country "${defaultCountry}": use one of ${Object.keys(COUNTRY_PLANS).join(', ')}`);
  }
  const read = readPhone(raw, plan);
  if ('problem' in read) throw new PhoneNumberError(read.problem);
  return read.e164;
}

/**
 * E.164 for the records that keep a phone beside other data (ledgers, the text search's
 * index): undefined when unusable, so the record is not held up by it. Throws nothing: it runs
 * on every stored event, where building an error for each unusable phone would cost more
 * than all the rest.
 */
export function toE164OrUndefined(raw: string | null | undefined, defaultCountry: string = DEFAULT_PHONE_COUNTRY): string | undefined {
  const plan = COUNTRY_PLANS[defaultCountry];
  if (!plan) return undefined;
  const read = readPhone(raw, plan);
  return 'e164' in read ? read.e164 : undefined;
}

/** The number in E.164, or what is wrong with it (toE164's message). */
function readPhone(raw: string | null | undefined, plan: CountryPlan): { e164: string } | { problem: string } {
  const compact = String(raw ?? '')
    .trim()
    .replace(SEPARATORS, '');
  if (compact === '') return { problem: 'the customer has no phone number' };
  const shown = () => JSON.stringify(String(raw ?? '').slice(0, 40));
  if (!/^(?:\+|00)?\d+$/.test(compact)) return { problem: `phone number ${shown()} has characters that are not digits: ${hint(plan)}` };
  const international = compact.startsWith('+') ? compact.slice(1) : compact.startsWith('00') ? compact.slice(2) : undefined;
  const e164 = international !== undefined ? fromInternational(international, plan) : fromNational(compact, plan);
  return e164 === undefined ? { problem: `phone number ${shown()} is not a valid number: ${hint(plan)}` } : { e164 };
}

function fromInternational(digits: string, plan: CountryPlan): string | undefined {
  if (digits.startsWith(plan.callingCode)) {
    // The default country's own numbers are checked against its plan: "+57 300 123" is short.
    return plan.national.test(digits.slice(plan.callingCode.length)) ? `+${digits}` : undefined;
  }
  // E.164: a country code (never starting with 0) and at most 15 digits in all.
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined;
}

function fromNational(digits: string, plan: CountryPlan): string | undefined {
  if (plan.national.test(digits)) return `+${plan.callingCode}${digits}`;
  // "57 300 123 4567" without its "+": the calling code, then a valid national number.
  if (digits.startsWith(plan.callingCode) && plan.national.test(digits.slice(plan.callingCode.length))) return `+${digits}`;
  // A trunk prefix some people dial at home ("0" in Spain's neighbours, Peru, Ecuador…).
  if (digits.startsWith('0') && plan.national.test(digits.slice(1))) return `+${plan.callingCode}${digits.slice(1)}`;
  return undefined;
}

function hint(plan: CountryPlan): string {
  return `fix it where the customer's data comes from, as a national number like ${plan.example} or an international one like +${plan.callingCode} ${plan.example}`;
}
