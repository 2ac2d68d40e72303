import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBytes, formFields, formNamedPairs, formPairs, urlDecode } from './form.js';

/** The plain definition the fast paths must agree with: percent-decode, then decode in the charset. */
function slowFields(raw: Buffer, charset: string): [string, string][] {
  return formPairs(raw).map(([name, value]) => [decodeBytes(name, charset) ?? '', decodeBytes(value, charset) ?? '']);
}

const FORM_BYTES = fc.array(
  fc.oneof(fc.constantFrom(...'=&%+abcAZ09.-_'.split('').map((c) => c.charCodeAt(0))), fc.integer({ min: 0, max: 255 })),
  { maxLength: 80 },
);
/** Forms as providers write them: escapes of any byte, in either case, valid UTF-8 text escaped, `+`. */
const ESCAPED_FORMS = fc
  .array(
    fc.oneof(
      fc.constantFrom('=', '&', '+', 'a', '.', '%', '%2', '%zz'),
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0')}`),
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`),
      fc.string({ unit: 'grapheme', maxLength: 6 }).map(encodeURIComponent),
      fc.string({ unit: 'binary', maxLength: 4 }).map((text) => encodeURIComponent(text.toWellFormed())),
    ),
    { maxLength: 30 },
  )
  .map((tokens) => Buffer.from(tokens.join(''), 'latin1'));
const CHARSETS = fc.constantFrom('utf-8', 'windows-1251', 'utf-16le', 'no-such-charset');

describe('form decoding', () => {
  it('urlDecode: escapes, + as a space, a broken escape kept as it is', () => {
    expect(urlDecode(Buffer.from('a%20b+c%2Bd%zz%4')).toString('latin1')).toBe('a b c+d%zz%4');
    expect(urlDecode(Buffer.from('%D0%98%d0%b2')).toString('utf8')).toBe('Ив');
  });

  it('decodeBytes: strict refuses what the charset cannot read, lenient shows U+FFFD', () => {
    expect(decodeBytes(Buffer.from([0x61, 0xe2, 0x82]), 'utf-8', true)).toBeUndefined();
    expect(decodeBytes(Buffer.from([0x61, 0xe2, 0x82]), 'utf-8')).toBe('a\uFFFD');
    expect(decodeBytes(Buffer.from([0xc8, 0xe2]), 'windows-1251', true)).toBe('Ив');
    expect(decodeBytes(Buffer.from('\uFEFFa'), 'utf-8', true)).toBe('\uFEFFa');
  });

  it('formFields reads every form exactly as decoding each pair does, in any charset', () => {
    fc.assert(
      fc.property(FORM_BYTES, CHARSETS, (bytes, charset) => {
        const raw = Buffer.from(bytes);
        expect(formFields(raw, charset)).toEqual(slowFields(raw, charset));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(ESCAPED_FORMS, CHARSETS, (raw, charset) => {
        expect(formFields(raw, charset)).toEqual(slowFields(raw, charset));
      }),
      { numRuns: 3000 },
    );
  });

  it('formNamedPairs names each pair as the latin1 text of its decoded bytes, values as bytes', () => {
    const slow = (raw: Buffer) => formPairs(raw).map(([name, value]) => [name.toString('latin1'), value]);
    fc.assert(
      fc.property(
        fc.oneof(
          FORM_BYTES.map((bytes) => Buffer.from(bytes)),
          ESCAPED_FORMS,
        ),
        (raw) => {
          expect(formNamedPairs(raw)).toEqual(slow(raw));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('decodeBytes answers as TextDecoder does, strict and lenient', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), CHARSETS, fc.boolean(), (bytes, charset, strict) => {
        const raw = Buffer.from(bytes);
        let expected: string | undefined;
        try {
          expected = new TextDecoder(charset === 'no-such-charset' ? 'utf-8' : charset, {
            fatal: strict,
            ignoreBOM: true,
          }).decode(raw);
        } catch {
          expected = undefined;
        }
        expect(decodeBytes(raw, charset, strict)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
