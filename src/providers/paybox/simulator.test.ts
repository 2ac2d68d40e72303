/**
 * The Paybox simulator: FreedomPay's calls with their fields, in every format, signed as the
 * documentation says (checked by the independent computation of ./fixtures/php.ts), and what each
 * answer means to FreedomPay.
 */
import { describe, expect, it } from 'vitest';
import { MissingInput, type SimulatedRequest, type SimulationInput } from '../simulator.js';
import { flat, phpSignature } from './fixtures/php.js';
import type { PayboxSettings } from './settings.js';
import { simulator } from './simulator.js';

const SECRET = 'simulator-secret';
const SETTINGS: PayboxSettings = {
  checkTimeoutMs: 10_000,
  secretKey: SECRET,
  merchantId: '552233',
  apiUrl: new URL('https://api.freedompay.kz'),
  testingMode: false,
  redirectHosts: [],
};
const BASE = new URL('http://gateway.test:8080/_paybox_/');
const NOW = new Date('2026-03-15T09:41:07.123Z');
const INPUT: SimulationInput = { account: 'A-1', sum: '99.90', txnId: '7001', now: NOW, extra: { salt: 'fixedsalt' } };

function fieldsOf(request: SimulatedRequest): Record<string, string> {
  const type = request.headers?.['content-type'] ?? '';
  if (request.method === 'GET') return Object.fromEntries(request.url.searchParams);
  if (type.startsWith('multipart/form-data')) {
    const fields: Record<string, string> = {};
    for (const [, name, value] of request.body!.matchAll(/Content-Disposition: form-data; name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)) {
      fields[name!] = value!;
    }
    return fields;
  }
  const xml = type.startsWith('text/xml') ? request.body! : new URLSearchParams(request.body).get('pg_xml');
  if (xml) {
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="utf-8"\?>\n<request>.*<\/request>$/s);
    const fields: Record<string, string> = {};
    for (const [, name, value] of xml.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) fields[name!] = value!.replace(/&amp;/g, '&');
    return fields;
  }
  return Object.fromEntries(new URLSearchParams(request.body));
}

/** The fields, after checking the signature for the URL's script independently. */
function verified(request: SimulatedRequest, secret = SECRET): Record<string, string> {
  const { pg_sig: signature, ...fields } = fieldsOf(request);
  const script = request.url.pathname.split('/').pop()!;
  expect(signature).toBe(phpSignature(script, flat(fields), secret));
  return fields;
}

const COMMON = {
  pg_salt: 'fixedsalt',
  pg_merchant_id: '552233',
  pg_order_id: 'A-1',
  pg_payment_id: '7001',
  pg_amount: '99.90',
  pg_currency: 'KZT',
  pg_description: 'Order A-1',
  pg_user_phone: '77001234567',
  pg_user_contact_email: 'customer@example.com',
  pg_testing_mode: '1',
};

describe('the calls', () => {
  it('check: POSTed to check, the payment’s fields, signed', () => {
    const request = simulator.request(BASE, 'check', INPUT, SETTINGS);
    expect([request.method, request.url.href, request.signed]).toEqual(['POST', 'http://gateway.test:8080/_paybox_/check', true]);
    expect(request.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
    expect(verified(request)).toEqual(COMMON);
  });

  it('pay: a result with pg_result=1, posted to result', () => {
    const request = simulator.request(BASE, 'pay', INPUT, SETTINGS);
    expect(request.url.pathname).toBe('/_paybox_/result');
    expect(verified(request)).toMatchObject({
      ...COMMON,
      pg_result: '1',
      pg_payment_date: '2026-03-15 09:41:07',
      pg_can_reject: '0',
      pg_ps_amount: '99.90',
      pg_net_amount: '99.90',
    });
    expect(request.body!.length).toBeGreaterThan(500);
  });

  it('result: pg_result 1 unless --result says otherwise, with a failure’s code', () => {
    expect(verified(simulator.request(BASE, 'result', INPUT, SETTINGS)).pg_result).toBe('1');
    const failed = verified(simulator.request(BASE, 'result', { ...INPUT, extra: { ...INPUT.extra, result: '0' } }, SETTINGS));
    expect(failed).toMatchObject({ pg_result: '0', pg_failure_code: '101' });
  });

  it('refund: the payment it is about, its own id, amount and date', () => {
    const request = simulator.request(BASE, 'refund', { ...INPUT, extra: { ...INPUT.extra, 'refund-id': '9001' } }, SETTINGS);
    expect(request.url.pathname).toBe('/_paybox_/refund');
    expect(verified(request)).toEqual({
      ...COMMON,
      pg_refund_id: '9001',
      pg_refund_amount: '99.90',
      pg_refund_date: '2026-03-15 09:41:07',
      pg_refund_type: 'refund',
    });
    expect(verified(simulator.request(BASE, 'refund', INPUT, SETTINGS)).pg_refund_id).toBe(String(NOW.getTime() + 1));
  });

  it('capture: the payment captured', () => {
    const request = simulator.request(BASE, 'capture', INPUT, SETTINGS);
    expect(verified(request)).toEqual({ ...COMMON, pg_captured: '1', pg_capture_date: '2026-03-15 09:41:07' });
  });

  it.each(['query', 'multipart', 'pg_xml', 'xml'])('--format %s carries the same fields, signed alike', (format) => {
    const form = verified(simulator.request(BASE, 'pay', INPUT, SETTINGS));
    const request = simulator.request(BASE, 'pay', { ...INPUT, extra: { ...INPUT.extra, format } }, SETTINGS);
    expect(request.method).toBe(format === 'query' ? 'GET' : 'POST');
    expect(verified(request)).toEqual(form);
  });

  it('a fresh salt for every call unless one is given', () => {
    const salts = [1, 2].map(() => fieldsOf(simulator.request(BASE, 'pay', { ...INPUT, extra: {} }, SETTINGS)).pg_salt);
    expect(salts[0]).not.toBe(salts[1]);
  });

  it('unsigned, without pg_merchant_id, for an instance with neither', () => {
    const request = simulator.request(BASE, 'pay', INPUT, { ...SETTINGS, secretKey: undefined, merchantId: undefined });
    expect(request.signed).toBe(false);
    expect(fieldsOf(request).pg_sig).toBeUndefined();
    expect(fieldsOf(request).pg_merchant_id).toBeUndefined();
  });

  it('needs an account and a sum; knows its actions and formats', () => {
    expect(() => simulator.request(BASE, 'pay', { sum: '1.00' }, SETTINGS)).toThrow(MissingInput);
    expect(() => simulator.request(BASE, 'pay', { account: 'a' }, SETTINGS)).toThrow(MissingInput);
    expect(() => simulator.request(BASE, 'cancel', INPUT, SETTINGS)).toThrow(/no action "cancel"/);
    expect(() => simulator.request(BASE, 'pay', { ...INPUT, extra: { format: 'json' } }, SETTINGS)).toThrow(/--format/);
  });

  it('signs a body of the caller’s own (the bench’s), replacing a signature it had, keeping the rest byte for byte', () => {
    const body = 'pg_order_id=1&pg_sig=stale&pg_amount=10.00&pg_salt=x   ';
    const request = simulator.sign!({ method: 'POST', url: new URL('result', BASE), body }, SETTINGS);
    expect(request.signed).toBe(true);
    expect(request.body).toMatch(/^pg_sig=[0-9a-f]{32}&pg_order_id=1&pg_amount=10\.00&pg_salt=x {3}$/);
    expect(verified(request)).toEqual({ pg_order_id: '1', pg_amount: '10.00', pg_salt: 'x   ' });
    const get = simulator.sign!({ method: 'GET', url: new URL('check?pg_order_id=%D1%8F&pg_salt=y', BASE) }, SETTINGS);
    expect(verified(get)).toEqual({ pg_order_id: 'я', pg_salt: 'y' });
    expect(
      simulator.sign!({ method: 'POST', url: new URL('result', BASE), body }, { ...SETTINGS, secretKey: undefined }),
    ).toMatchObject({
      body,
      signed: false,
    });
  });
});

const answer = (status: number, pgStatus: string, description = 'x') => ({
  status,
  contentType: 'text/xml; charset=utf-8',
  body: `<?xml version="1.0" encoding="utf-8"?>\n<response><pg_salt>s</pg_salt><pg_status>${pgStatus}</pg_status><pg_description>${description}</pg_description><pg_sig>0123</pg_sig></response>`,
});

describe('what FreedomPay makes of an answer', () => {
  it('ok with HTTP 200 is accepted', () => {
    const explained = simulator.explain(answer(200, 'ok', 'accepted'), 'pay');
    expect(explained).toMatchObject({ accepted: true, temporary: false });
    expect(explained.lines).toEqual([
      'pg_status ok: accepted: the payment may go ahead (check), or the call is recorded',
      'pg_description: accepted',
      'signed (pg_sig)',
    ]);
  });

  it('error with HTTP 503 is repeated later, but for a check, which is never repeated', () => {
    expect(simulator.explain(answer(503, 'error'), 'pay')).toMatchObject({ accepted: false, temporary: true });
    expect(simulator.explain(answer(503, 'error'), 'check')).toMatchObject({ accepted: false, temporary: false });
  });

  it('error or rejected with HTTP 200 is final', () => {
    expect(simulator.explain(answer(200, 'error', 'malformed request'), 'pay')).toMatchObject({
      accepted: false,
      temporary: false,
    });
    const rejected = simulator.explain(answer(200, 'rejected', 'account not found'), 'check');
    expect(rejected).toMatchObject({ accepted: false, temporary: false });
    expect(rejected.lines[1]).toBe('pg_description: account not found');
  });

  it('an answer that is not Paybox’s', () => {
    const explained = simulator.explain(
      { status: 404, contentType: 'application/json', body: '{"error":"not found"}' },
      'refund',
    );
    expect(explained).toEqual({ lines: ['HTTP 404 without <pg_status>: not a Paybox answer'], accepted: false, temporary: true });
  });
});
