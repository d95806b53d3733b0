import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hmacSha256, macMatches, requireWithinTolerance } from '../../src/sources/delivery-reading.js';
import { SourceError } from '../../src/sources/source.js';

describe('macMatches', () => {
  const mac = hmacSha256('secret', 'content');
  const hex = mac.toString('hex');
  const base64 = mac.toString('base64');

  it('accepts the MAC in hex (either case) and in base64 (padding optional)', () => {
    assert.equal(macMatches(mac, hex, 'hex'), true);
    assert.equal(macMatches(mac, hex.toUpperCase(), 'hex'), true);
    assert.equal(macMatches(mac, base64, 'base64'), true);
    assert.equal(macMatches(mac, base64.replace(/=+$/, ''), 'base64'), true);
  });

  it('refuses any text that is not exactly the MAC, even when Buffer.from would decode it to the MAC', () => {
    // Buffer.from('…0', 'hex') drops a trailing odd digit: the decoded bytes would be equal.
    assert.deepEqual(Buffer.from(`${hex}0`, 'hex'), mac);
    assert.equal(macMatches(mac, `${hex}0`, 'hex'), false);
    assert.equal(macMatches(mac, `${hex}00`, 'hex'), false);
    assert.equal(macMatches(mac, hex.slice(0, -1), 'hex'), false);
    assert.equal(macMatches(mac, ` ${hex}`, 'hex'), false);
    assert.equal(macMatches(mac, `${hex.slice(0, -1)}g`, 'hex'), false);
    assert.equal(macMatches(mac, '', 'hex'), false);
    // Base64 with stray trailing bits decodes to the same bytes too.
    const unpadded = base64.replace(/=+$/, '');
    const strayBits = `${unpadded.slice(0, -1)}${unpadded.endsWith('A') ? 'B' : 'A'}`;
    if (Buffer.from(strayBits, 'base64').equals(mac)) assert.equal(macMatches(mac, strayBits, 'base64'), false);
    assert.equal(macMatches(mac, `${base64}A`, 'base64'), false);
    assert.equal(macMatches(mac, hex, 'base64'), false);
  });

  it('refuses a MAC of other content or another secret', () => {
    assert.equal(macMatches(mac, hmacSha256('secret', 'contenu').toString('hex'), 'hex'), false);
    assert.equal(macMatches(mac, hmacSha256('other', 'content').toString('hex'), 'hex'), false);
  });
});

describe('requireWithinTolerance', () => {
  const now = new Date('2025-06-01T12:00:00Z');
  const shifted = (seconds: number) => new Date(now.getTime() + seconds * 1000);
  const refused = (seconds: number) =>
    assert.throws(
      () => requireWithinTolerance(shifted(seconds), now, 300),
      (err: unknown) => err instanceof SourceError && err.code === 'TIMESTAMP_OUT_OF_TOLERANCE',
    );

  it('accepts up to the tolerance in both directions and refuses beyond it', () => {
    for (const seconds of [-300, -1, 0, 1, 300]) requireWithinTolerance(shifted(seconds), now, 300);
    refused(-301);
    refused(301);
  });
});
