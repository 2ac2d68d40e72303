/** The intake's Answer in the two shapes networks expect, and the escaping of XML text. */
import { describe, expect, it } from 'vitest';
import { answerJson, answerXml, escapeXml } from './answers.js';

describe('answerXml', () => {
  it('sends the rendered document as UTF-8 XML, the type lower-cased for the metrics', () => {
    const body = '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n  <result>0</result>\n</response>\n';
    expect(answerXml(body, { type: 'getInfo', outcome: 'accepted' })).toEqual({
      contentType: 'text/xml; charset=utf-8',
      body,
      type: 'getinfo',
      outcome: 'accepted',
    });
  });

  it('leaves the status, the type and the outcome to the intake when unsaid', () => {
    const answer = answerXml('<response/>');
    expect(answer).toEqual({ contentType: 'text/xml; charset=utf-8', body: '<response/>' });
    expect([answer.status, answer.type, answer.outcome]).toEqual([undefined, undefined, undefined]);
  });
});

describe('answerJson', () => {
  it('writes the value as JSON.stringify does: {"code":0} as a card network expects it', () => {
    expect(answerJson({ code: 0 }, { type: 'Pay', outcome: 'accepted' })).toEqual({
      contentType: 'application/json',
      body: '{"code":0}',
      type: 'pay',
      outcome: 'accepted',
    });
    expect(answerJson({ code: 13 }, { status: 404, outcome: 'refused' })).toEqual({
      status: 404,
      contentType: 'application/json',
      body: '{"code":13}',
      outcome: 'refused',
    });
  });

  it('escapes what JSON requires, nothing more', () => {
    expect(answerJson({ message: 'Счёт "4957835959" не найден\n' }).body).toBe(
      '{"message":"Счёт \\"4957835959\\" не найден\\n"}',
    );
  });
});

describe('escapeXml', () => {
  it('escapes markup, drops what XML 1.0 cannot carry, mends lone surrogates', () => {
    expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(escapeXml('x\u0001y\uFFFEz\tw\n')).toBe('xyz\tw\n');
    expect(escapeXml('\uD83D')).toBe('\uFFFD');
    expect(escapeXml('\uD83D\uDE00 Ж ok')).toBe('\uD83D\uDE00 Ж ok');
    expect(escapeXml('10.45')).toBe('10.45');
  });
});
