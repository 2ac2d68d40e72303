/**
 * The fields of a form notification, read in one pass, are what the plain definition gives:
 * every pair decoded in its charset, made storable (no NUL, no half of a surrogate pair), the
 * first non-blank value of a name kept, Data read as the JSON it carries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBytes, formPairs } from '../../http/form.js';
import { mapTexts, storableText } from '../../util/text.js';
import { parseMessage } from './message.js';

const storable = (text: string) => storableText(text.toWellFormed());

function plainFields(raw: Buffer, charset: string): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [nameBytes, valueBytes] of formPairs(raw)) {
    const name = storable(decodeBytes(nameBytes, charset) ?? '');
    const value = storable(decodeBytes(valueBytes, charset) ?? '');
    if (Object.hasOwn(fields, name) || value.trim() === '') continue;
    Object.defineProperty(fields, name, { value: name === 'Data' ? plainData(value) : value, enumerable: true, writable: true });
  }
  return fields;
}

function plainData(value: string): unknown {
  try {
    const parsed = mapTexts(JSON.parse(value), storable);
    return typeof parsed === 'object' && parsed !== null ? parsed : value;
  } catch {
    return value;
  }
}

/** Names that matter to the parse, values with escapes of every kind, Data with JSON escapes. */
const NAME = fc.constantFrom('Data', 'Name', 'Amount', '__proto__', 'Da%00ta', 'N%d0%b0me', '', 'a+b');
const VALUE = fc.oneof(
  fc.constantFrom('', '+', '%20', 'x', '%00', '%d0%98%d0%b2', '%c8%e2', '%ed%a0%80', '%zz', '%e2%84', '1500.00'),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
  fc
    .constantFrom('{"a":"\\ud83d"}', '{"a":"\\u0000"}', '{"\\u0000":1}', '["\\udc00x"]', '{"a":"ok"}', '"text"', '{')
    .map(encodeURIComponent),
);
const FORM = fc
  .array(fc.tuple(NAME, VALUE), { maxLength: 8 })
  .map((pairs) => Buffer.from(pairs.map(([name, value]) => `${name}=${value}`).join('&'), 'latin1'));
const CHARSETS = fc.constantFrom('utf-8', 'windows-1251', 'utf-16le');

describe('a form notification’s fields', () => {
  it('are the plain definition’s, in any charset', () => {
    fc.assert(
      fc.property(FORM, CHARSETS, (raw, charset) => {
        const fields = parseMessage({ raw, charset, json: false })!;
        expect(fields.payload).toStrictEqual(plainFields(raw, charset));
        mapTexts(fields.payload, (text) => {
          expect(text.isWellFormed() && !text.includes('\0')).toBe(true);
          return text;
        });
      }),
      { numRuns: 3000 },
    );
  });
});
