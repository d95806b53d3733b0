import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWebpigError } from '../../src/core/errors.js';
import { PhoneNumberError, toE164, toE164OrUndefined } from '../../src/core/phone.js';

/** Issue 14 item 8: every phone the connectors send is E.164, whatever the source gave. */
describe('toE164', () => {
  const colombian: Array<[string, string]> = [
    ['300 123 4567', '+573001234567'],
    ['3001234567', '+573001234567'],
    ['57 300 123 4567', '+573001234567'],
    ['573001234567', '+573001234567'],
    ['+57 (300) 123-4567', '+573001234567'],
    ['+57 300.123.4567', '+573001234567'],
    ['300-123-4567', '+573001234567'],
    ['(300) 123 4567', '+573001234567'],
    ['0057 300 123 4567', '+573001234567'],
    ['  +573001234567  ', '+573001234567'],
    ['300\u00a0123\u00a04567', '+573001234567'],
    ['601 234 5678', '+576012345678'], // a Bogotá landline in the 2021 plan
    ['+52 55 1234 5678', '+525512345678'], // another country, with its code
    ['+1 (212) 555-0123', '+12125550123'],
  ];
  for (const [given, expected] of colombian) {
    it(`reads ${JSON.stringify(given)} as ${expected}`, () => assert.equal(toE164(given), expected));
  }

  it('reads a number without a country code as the default country', () => {
    assert.equal(toE164('55 1234 5678', 'MX'), '+525512345678');
    assert.equal(toE164('912 345 678', 'PE'), '+51912345678');
    assert.equal(toE164('+57 300 123 4567', 'MX'), '+573001234567', 'a code given wins over the default');
  });

  const unusable: Array<[string | null | undefined, RegExp]> = [
    ['', /has no phone number/],
    [null, /has no phone number/],
    [undefined, /has no phone number/],
    ['   ', /has no phone number/],
    ['300 123 456', /not a valid number/], // nine digits
    ['30012345678', /not a valid number/], // eleven digits
    ['1234567890', /not a valid number/], // no Colombian number starts with 1
    ['+57 300 123', /not a valid number/],
    ['+0 300 123 4567', /not a valid number/],
    ['+1234567890123456', /not a valid number/], // 16 digits: longer than E.164 allows
    ['300 CALL NOW', /characters that are not digits/],
    ['300-123-4567 ext 2', /characters that are not digits/],
    ['+57+3001234567', /characters that are not digits/],
    ['3OO 123 4567', /characters that are not digits/], // letter O for zero
  ];
  for (const [given, why] of unusable) {
    it(`refuses ${JSON.stringify(given)} with a coded, permanent error`, () => {
      assert.throws(
        () => toE164(given),
        (err: unknown) => {
          assert.ok(err instanceof PhoneNumberError);
          assert.ok(isWebpigError(err, 'PermanentError'), 'permanent: retrying does not fix the data');
          assert.equal(err.code, 'PHONE_INVALID');
          assert.match(err.message, why);
          if (given?.trim())
            assert.match(err.message, /like 300 123 4567 or an international one like \+57 300 123 4567/, 'says how to fix it');
          return true;
        },
      );
      assert.equal(toE164OrUndefined(given), undefined);
    });
  }

  it('refuses an unknown default country, naming the known ones', () => {
    assert.throws(() => toE164('3001234567', 'XX'), /unknown default phone country "XX": use one of CO, MX/);
  });
});
