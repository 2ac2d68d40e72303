/** Escaping for customers' pages: what a browser then reads back is exactly what was escaped. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, scriptJson } from './html.js';

describe('escapeHtml', () => {
  it('writes the five markup characters as numeric references and leaves the rest alone', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;',
    );
    expect(escapeHtml('Интернет за май, 10.50 RUB\u2028')).toBe('Интернет за май, 10.50 RUB\u2028');
    expect(escapeHtml('')).toBe('');
  });
});

describe('scriptJson', () => {
  it('is JSON that neither ends its <script> block nor opens a comment in it', () => {
    const hostile = '</script><script>alert(1)</script><!--&\u2028\u2029';
    const json = scriptJson({ account: hostile, amount: 10.5, url: null });
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(json).toBe(
      '{"account":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u2029","amount":10.5,"url":null}',
    );
    expect(JSON.parse(json)).toEqual({ account: hostile, amount: 10.5, url: null });
  });
});
