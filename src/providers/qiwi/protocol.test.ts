import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeXml } from '../kit/answers.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** The plain definition: well-formed, without what XML 1.0 cannot carry, markup escaped. */
function slowEscape(text: string): string {
  return text
    .toWellFormed()
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

describe('XML escaping', () => {
  it('escapes markup, drops what XML cannot carry, mends lone surrogates', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('x\u0001y\uFFFEz')).toBe('xyz');
    expect(escapeXml('\uD83D')).toBe('\uFFFD');
    expect(escapeXml('\uD83D\uDE00 ok')).toBe('\uD83D\uDE00 ok');
    expect(escapeXml('10.45')).toBe('10.45');
  });

  it('the fast path answers as the plain definition does, for any text', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.string({
        unit: fc.constantFrom('a', '1', '.', '&', '<', '\u0000', '\t', '\uD800', '\uDC00', '\uFFFF', 'Ж'),
        maxLength: 12,
      }),
    );
    fc.assert(
      fc.property(text, (value) => {
        expect(escapeXml(value)).toBe(slowEscape(value));
      }),
      { numRuns: 3000 },
    );
  });
});
