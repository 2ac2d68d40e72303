/** The requests `payrelay simulate <instance> check|pay|cancel` sends for Kaspi, and how it reads the answers. */
import { describe, expect, it } from 'vitest';
import { MissingInput } from '../simulator.js';
import type { ProviderSettings } from '../types.js';
import { simulator } from './simulator.js';

const SETTINGS: ProviderSettings = { checkTimeoutMs: 10_000 };
const BASE = new URL('http://gateway.test:8080/_halyk_/');
const NOW = new Date('2026-05-01T15:30:45.123Z');
const json = (body: string, status = 200) => ({ status, contentType: 'application/json; charset=utf-8', body });

describe('Kaspi simulator requests', () => {
  it('pay: a GET of payment under the base, unsigned, txn_date from the clock', () => {
    const request = simulator.request(BASE, 'pay', { account: 'A-1 Ж', sum: '200.00', txnId: '00042', now: NOW }, SETTINGS);
    expect(request.method).toBe('GET');
    expect(request.url.href).toBe(
      'http://gateway.test:8080/_halyk_/payment?command=pay&txn_id=00042&txn_date=20260501153045&account=A-1+%D0%96&sum=200.00',
    );
    expect(request.body).toBeUndefined();
    expect(request.headers).toBeUndefined();
    expect(request.signed).toBeUndefined();
  });

  it('check: the dummy sum 0.00 unless one is given, no txn_date, the clock’s milliseconds without a txn_id', () => {
    expect(`${simulator.request(BASE, 'check', { account: '42', now: NOW }, SETTINGS).url.search}`).toBe(
      `?command=check&txn_id=${NOW.getTime()}&account=42&sum=0.00`,
    );
    expect(`${simulator.request(BASE, 'check', { account: '42', sum: '5.00', txnId: '9' }, SETTINGS).url.search}`).toBe(
      '?command=check&txn_id=9&account=42&sum=5.00',
    );
  });

  it('a pay without a sum is sent as asked: refusing it is the gateway’s to show', () => {
    const request = simulator.request(BASE, 'pay', { account: '42', txnId: '1', now: NOW }, SETTINGS);
    expect(request.url.search).toBe('?command=pay&txn_id=1&txn_date=20260501153045&account=42');
  });

  it('cancel: by txn_id, by prv_txn (--prv-txn), or both', () => {
    const cancel = (input: Parameters<typeof simulator.request>[2]) =>
      simulator.request(BASE, 'cancel', input, SETTINGS).url.search;
    expect(cancel({ txnId: '1234567', account: 'ignored', sum: '1.00' })).toBe('?command=cancel&txn_id=1234567');
    expect(cancel({ extra: { 'prv-txn': '17' } })).toBe('?command=cancel&prv_txn=17');
    expect(cancel({ txnId: '1', extra: { 'prv-txn': '17' } })).toBe('?command=cancel&txn_id=1&prv_txn=17');
  });

  it('needs an account for check and pay, and an id for cancel', () => {
    const missing = (action: string, input: Parameters<typeof simulator.request>[2]) => {
      try {
        simulator.request(BASE, action, input, SETTINGS);
      } catch (error) {
        expect(error).toBeInstanceOf(MissingInput);
        return (error as MissingInput).input;
      }
      return undefined;
    };
    expect(missing('pay', { sum: '1.00' })).toBe('account');
    expect(missing('check', {})).toBe('account');
    expect(missing('cancel', { account: '1' })).toBe('txnId');
  });

  it('has check, pay and cancel; cancel makes the event; a reused txn_id is refused', () => {
    expect(simulator.actions).toEqual(['check', 'pay', 'cancel']);
    expect(simulator.eventAction).toBe('cancel');
    expect(simulator.clash).toBe('refused');
    expect(simulator.sign).toBeUndefined();
    expect(() => simulator.request(BASE, 'refund', { account: '1' }, SETTINGS)).toThrow(/no action "refund"/);
  });
});

describe('Kaspi simulator answers', () => {
  it('a pay accepted: its fields as written, the sum with its decimals', () => {
    const answer = json('{"txn_id":"1234567","prv_txn_id":17,"prv_txn":17,"result":0,"sum":200.00,"comment":"OK"}');
    expect(simulator.explain(answer, 'pay')).toEqual({
      lines: [
        'result 0: OK: the account exists (check), the payment is recorded (pay) or cancelled (cancel)',
        'comment: OK',
        'prv_txn_id: 17',
        'txn_id: "1234567"',
        'sum: 200.00',
      ],
      accepted: true,
      temporary: false,
    });
  });

  it('a check with the holder’s fields', () => {
    const answer = json('{"txn_id":"1","result":0,"comment":"OK","fields":{"field1":{"@name":"name","#text":"Иванов И."}}}');
    expect(simulator.explain(answer, 'check').lines).toContain('field name: Иванов И.');
  });

  it.each([
    ['1', 'check', 'account not found (your account check answered 4xx)'],
    ['1', 'cancel', 'payment not found'],
    ['2', 'check', 'order cancelled (your account check answered 410)'],
    ['3', 'check', 'order already paid (your account check answered 409)'],
    ['5', 'pay', 'other error (see the comment)'],
    ['7', 'pay', 'a code payrelay does not give'],
  ])('result %s to a %s: %s, final', (code, action, meaning) => {
    expect(simulator.explain(json(`{"result":${code},"comment":"x"}`), action)).toEqual({
      lines: [`result ${code}: ${meaning}`, 'comment: x'],
      accepted: false,
      temporary: false,
    });
  });

  it('HTTP 503 is our passing trouble, whatever the result: the network repeats', () => {
    const pay = simulator.explain(json('{"txn_id":"1","result":4,"comment":"Temporary error, retry"}', 503), 'pay');
    expect(pay).toMatchObject({ accepted: false, temporary: true });
    expect(pay.lines[0]).toBe(
      'result 4: payment in progress: the network will repeat the request later; HTTP 503: the network will repeat the request later',
    );
    const check = simulator.explain(json('{"txn_id":"1","result":5,"comment":"Account check unavailable, retry"}', 503), 'check');
    expect(check).toMatchObject({ accepted: false, temporary: true });
  });

  it('a result 0 refused at the HTTP level is not accepted', () => {
    expect(simulator.explain(json('{"result":0,"comment":"OK"}', 403)).accepted).toBe(false);
  });

  it('an answer without a result is not the protocol’s', () => {
    expect(simulator.explain({ status: 404, contentType: 'text/plain', body: 'Not Found' })).toEqual({
      lines: ['no {"result": N} in the answer: not a Kaspi-protocol response'],
      accepted: false,
      temporary: false,
    });
    expect(simulator.explain(json('{"code":0}')).accepted).toBe(false);
  });
});
