import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hiddenCharacterIn, visibleText } from '../../src/core/visible-text.js';

describe('visibleText', () => {
  it('writes out controls, bidirectional and invisible characters, so look-alike ids differ', () => {
    // "ref-1<RLO>9876" shows as "ref-16789" in a browser or terminal.
    assert.equal(visibleText('ref-1\u202e9876'), 'ref-1[U+202E]9876');
    assert.equal(visibleText('a\u0000b\u001b[31mc\u0085'), 'a[U+0000]b[U+001B][31mc[U+0085]');
    assert.equal(visibleText('x\u2066y\u2069\u200bz\ufeff\u061c\u200f'), 'x[U+2066]y[U+2069][U+200B]z[U+FEFF][U+061C][U+200F]');
    assert.equal(visibleText('line\u2028break\r'), 'line[U+2028]break[U+000D]');
  });

  it('leaves ordinary text, accents, tabs and line feeds as they are', () => {
    const text = 'José Pérez Ñandú — 1.250.000 COP\n\t{"a": 1} محمد 李';
    assert.equal(visibleText(text), text);
  });

  it('names the first hidden character of an identifier, tabs and line feeds included', () => {
    assert.equal(hiddenCharacterIn('evt_1\u202ecba'), 'U+202E');
    assert.equal(hiddenCharacterIn('evt\u0000'), 'U+0000');
    assert.equal(hiddenCharacterIn('evt\n1'), 'U+000A');
    assert.equal(hiddenCharacterIn('evt_1NQ7'), null);
    assert.equal(hiddenCharacterIn('98765432:1'), null);
  });
});
