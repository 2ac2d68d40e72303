/** The QIWI simulator: the exact query a terminal network sends, and what each result code means. */
import { describe, expect, it } from 'vitest';
import { MissingInput } from '../simulator.js';
import type { QiwiSettings } from './settings.js';
import { simulator } from './simulator.js';

const SETTINGS: QiwiSettings = { checkTimeoutMs: 10_000, encoding: 'utf-8' };
const BASE = new URL('http://gateway.test:8080/_pay24_/');
const NOW = new Date('2024-03-15T09:41:07.123Z');

const xml = (inner: string) => ({
  status: 200,
  contentType: 'text/xml',
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<response>\n${inner}</response>\n`,
});

describe('QIWI simulator requests', () => {
  it('pay: a GET of payment under the base, the fields in the network order, txn_date from the clock', () => {
    const request = simulator.request(BASE, 'pay', { account: 'A-1 Ж', sum: '150.50', txnId: '5002', now: NOW }, SETTINGS);
    expect(request.method).toBe('GET');
    expect(request.url.href).toBe(
      'http://gateway.test:8080/_pay24_/payment?command=pay&txn_id=5002&account=A-1+%D0%96&sum=150.50&txn_date=20240315094107',
    );
    expect(request.body).toBeUndefined();
    expect(request.headers).toBeUndefined();
    expect(request.signed).toBeUndefined();
  });

  it('check: no txn_date; without a sum none is sent, without a txn_id the clock’s milliseconds', () => {
    const request = simulator.request(BASE, 'check', { account: '42', now: NOW }, SETTINGS);
    expect(`${request.url.pathname}${request.url.search}`).toBe(
      `/_pay24_/payment?command=check&txn_id=${NOW.getTime()}&account=42`,
    );
  });

  it('a pay without a sum is sent as asked: refusing it is the gateway’s to show', () => {
    const request = simulator.request(BASE, 'pay', { account: '42', txnId: '1', now: NOW }, SETTINGS);
    expect(request.url.search).toBe('?command=pay&txn_id=1&account=42&txn_date=20240315094107');
  });

  it('needs an account', () => {
    expect(() => simulator.request(BASE, 'pay', { sum: '1.00' }, SETTINGS)).toThrow(MissingInput);
    try {
      simulator.request(BASE, 'pay', { sum: '1.00' }, SETTINGS);
    } catch (error) {
      expect((error as MissingInput).input).toBe('account');
    }
  });

  it('has check and pay only', () => {
    expect(simulator.actions).toEqual(['check', 'pay']);
    expect(() => simulator.request(BASE, 'refund', { account: '1' }, SETTINGS)).toThrow(/no action "refund"/);
  });
});

describe('QIWI simulator answers', () => {
  it.each([
    ['0', 'OK: the account exists (check) or the payment is recorded (pay)', true, false],
    // The only result the network repeats the request on.
    ['1', 'temporary error: the network will repeat the request later', false, true],
    ['4', 'wrong account format', false, false],
    ['5', 'account not found (your account check answered 4xx)', false, false],
    ['241', 'sum too small', false, false],
    ['242', 'sum too large', false, false],
    ['300', 'other error (see the comment); final', false, false],
    // Not a code of the protocol (QIWI's "payment forbidden"): payrelay never answers it.
    ['7', 'a code payrelay does not give', false, false],
  ])('result %s: %s', (code, meaning, accepted, temporary) => {
    expect(simulator.explain(xml(`  <result>${code}</result>\n`))).toEqual({
      lines: [`result ${code}: ${meaning}`],
      accepted,
      temporary,
    });
  });

  it('reads a result alike whatever the action', () => {
    const answer = xml('  <result>1</result>\n');
    expect(simulator.explain(answer, 'check')).toEqual(simulator.explain(answer, 'pay'));
  });

  it('has no event action, and a reused txn_id is refused', () => {
    expect(simulator.eventAction).toBeUndefined();
    expect(simulator.clash ?? 'refused').toBe('refused');
  });

  it('the answer’s other fields follow, unescaped', () => {
    const answer = xml(
      '  <osmp_txn_id>5002</osmp_txn_id>\n  <prv_txn>17</prv_txn>\n  <sum>150.50</sum>\n  <result>0</result>\n  <comment>A &amp; B &lt;ok&gt;</comment>\n',
    );
    expect(simulator.explain(answer)).toEqual({
      lines: [
        'result 0: OK: the account exists (check) or the payment is recorded (pay)',
        'comment: A & B <ok>',
        'prv_txn: 17',
        'osmp_txn_id: 5002',
        'sum: 150.50',
      ],
      accepted: true,
      temporary: false,
    });
  });

  it('an answer without <result> is not the protocol’s', () => {
    expect(simulator.explain({ status: 404, contentType: 'text/plain', body: 'Not Found' })).toEqual({
      lines: ['no <result> in the answer: not a QIWI-protocol response'],
      accepted: false,
      temporary: false,
    });
  });
});
