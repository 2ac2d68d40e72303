/**
 * What a request-log row keeps of the headers: nothing that would let whoever reads the log (or
 * the admin API) send the request again as its sender, for any provider.
 */
import type { FastifyRequest } from 'fastify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskBytes, maskFields, requestLogRow } from './request-log.js';

/** A protocol's signature headers, as it declares them (`signatureHeaders`). */
const SIGNED_BY = ['content-hmac', 'x-content-hmac'];

const request = (headers: Record<string, string>) =>
  ({ ip: '130.193.70.192', url: '/pay', method: 'POST', headers }) as unknown as FastifyRequest;

describe('requestLogRow headers', () => {
  it('masks credentials and message signatures, and keeps the rest as received', () => {
    const row = requestLogRow(
      request({
        authorization: 'Basic Y2xvdWRwYXltZW50czpzM2NyZXQ=',
        'proxy-authorization': 'Basic eDp5',
        cookie: 'session=abc',
        'content-hmac': 'm7Tn0b0b3Jq1lK8s4pQ9d2Yk6vV5x1fWc0aHhGzR8eM=',
        'x-content-hmac': 'QeW2Zr8p5u1nK7c3Yb0t9mJd4sLx6hAf2gVo8kEiRz0=',
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'Card network',
      }),
      Buffer.from('TransactionId=1'),
      'utf-8',
      true,
      { headers: SIGNED_BY },
    );
    expect(row.headers).toEqual({
      authorization: '***',
      'proxy-authorization': '***',
      cookie: '***',
      'content-hmac': '***',
      'x-content-hmac': '***',
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Card network',
    });
  });

  it('masks them on a refused request too', () => {
    const row = requestLogRow(request({ 'content-hmac': 'AAAA', 'x-content-hmac': 'BBBB' }), undefined, 'utf-8', false, {
      headers: SIGNED_BY,
    });
    expect(row.headers).toEqual({ 'content-hmac': '***', 'x-content-hmac': '***' });
  });
});

describe('requestLogRow of a request that proved nothing', () => {
  const flood = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-filler-${i}`, 'v'.repeat(150)]));
  const url = `/pay?${'a'.repeat(10_000)}`;
  const huge = {
    ip: '203.0.113.9',
    url,
    method: 'GET',
    headers: { 'user-agent': 'curl', ...flood },
  } as unknown as FastifyRequest;

  it('keeps at most a bounded URL and bounded headers, and says how many headers it left out', () => {
    const row = requestLogRow(huge, undefined, 'utf-8', false);
    expect(row.url).toHaveLength(1024 + 1);
    expect(row.url.endsWith('…')).toBe(true);
    const stored = JSON.stringify(row.headers);
    expect(stored.length).toBeLessThan(3000);
    expect(row.headers['user-agent']).toBe('curl');
    expect(row.headers['…']).toMatch(/^\d+ more headers not kept$/);
  });

  it('keeps a proven request whole', () => {
    const row = requestLogRow(huge, undefined, 'utf-8', true);
    expect(row.url).toBe(url);
    expect(Object.keys(row.headers)).toHaveLength(101);
  });

  it('never exceeds the bound, whatever the headers (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 300 }), fc.string({ maxLength: 3000 }), { maxKeys: 60 }), (headers) => {
        const row = requestLogRow({ ...huge, headers } as unknown as FastifyRequest, undefined, 'utf-8', false);
        const chars = Object.entries(row.headers).reduce((sum, [name, value]) => sum + name.length + String(value).length, 0);
        expect(chars).toBeLessThanOrEqual(2048 + 64 + 40);
      }),
    );
  });
});

describe('maskBytes', () => {
  const FIELDS = ['Token', 'pg_card_token'];

  it('masks a form and a JSON body, and hands back a body without them as it is', () => {
    const mask = (text: string) => maskBytes(Buffer.from(text), FIELDS).toString();
    expect(mask('Amount=1&Token=tk_1&Data=x')).toBe('Amount=1&Token=***&Data=x');
    expect(mask('{"Amount": 1, "Token" : "tk_\\"1", "Data": null}')).toBe('{"Amount": 1, "Token" : "***", "Data": null}');
    const body = Buffer.from('Amount=1');
    expect(maskBytes(body, FIELDS)).toBe(body);
  });

  it('masks the bytes as maskFields masks them read as Latin-1 (property)', () => {
    // Near misses of both forms, so that random text reaches every branch.
    const pick = (...pieces: string[]) => fc.constantFrom(...pieces);
    const join = (pieces: string[]) => pieces.join('');
    const spaces = fc.array(pick(' ', '\t', '\n', '\r', '\u000b', '\u00a0', '\u0085'), { maxLength: 2 }).map(join);
    const value = fc
      .array(pick('a', '\\', '"', '\\"', '\n', '\r', '&', '=', '?', ':', '\u00e9', ' '), { maxLength: 6 })
      .map(join);
    const field = pick('Token', 'pg_card_token', 'Tok', 'token');
    const json = fc
      .tuple(field, spaces, pick(':', ''), spaces, pick('"', ''), value, pick('"', ''))
      .map(([name, before, colon, after, open, text, close]) => `"${name}"${before}${colon}${after}${open}${text}${close}`);
    const form = fc.tuple(pick('', '&', '?', 'x'), field, pick('=', ''), value).map(join);
    const text = fc.array(fc.oneof(json, form, value), { maxLength: 8 }).map(join);
    fc.assert(
      fc.property(text, (latin1) => {
        expect(maskBytes(Buffer.from(latin1, 'latin1'), FIELDS).toString('latin1')).toBe(maskFields(latin1, FIELDS));
      }),
      { numRuns: 5000 },
    );
  });
});
