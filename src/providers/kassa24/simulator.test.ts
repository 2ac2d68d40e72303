/** The Kassa24 simulator: the requests a terminal sends, and what each answer means to the network. */
import { describe, expect, it } from 'vitest';
import { MissingInput } from '../simulator.js';
import type { Kassa24Settings } from './settings.js';
import { simulator } from './simulator.js';

const SETTINGS: Kassa24Settings = { checkTimeoutMs: 10_000, encoding: 'utf-8', cancels: true };
const CP1251: Kassa24Settings = { ...SETTINGS, encoding: 'windows-1251' };
const BASE = new URL('http://gateway.test:8080/_kassa24_/');
// 09:41:07 UTC is 14:41:07 in Almaty (UTC+5).
const NOW = new Date('2024-08-03T09:41:07.123Z');
const path = (url: URL) => `${url.pathname}${url.search}`;

describe('Kassa24 simulator requests', () => {
  it('check: a GET of payment with the action and the number', () => {
    const request = simulator.request(BASE, 'check', { account: '100234', sum: '1.00', txnId: '5', now: NOW }, SETTINGS);
    expect(request.method).toBe('GET');
    expect(request.url.href).toBe('http://gateway.test:8080/_kassa24_/payment?action=check&number=100234');
    expect(request.body).toBeUndefined();
    expect(request.headers).toBeUndefined();
  });

  it('pay and payment: the fields in the network’s order, the date on Kazakhstan’s clock', () => {
    for (const action of ['pay', 'payment']) {
      const request = simulator.request(BASE, action, { account: '100234', sum: '1500.00', txnId: '105512', now: NOW }, SETTINGS);
      expect(path(request.url)).toBe(
        '/_kassa24_/payment?action=payment&number=100234&amount=1500.00&receipt=105512&date=2024-08-03T14:41:07',
      );
    }
  });

  it('a payment with its options, and a receipt from the clock when none is given', () => {
    const extra = { date: '2024-08-03T15:53:00', type: '1', commission: '50.00' };
    const request = simulator.request(BASE, 'payment', { account: 'A 1&2', sum: '10.45', extra, now: NOW }, SETTINGS);
    expect(path(request.url)).toBe(
      `/_kassa24_/payment?action=payment&number=A+1%262&amount=10.45&receipt=${NOW.getTime()}&date=2024-08-03T15:53:00&type=1&commission=50.00`,
    );
  });

  it('status and cancel name the payment by its receipt; a cancel carries mes when given', () => {
    expect(path(simulator.request(BASE, 'status', { txnId: '105512' }, SETTINGS).url)).toBe(
      '/_kassa24_/payment?action=status&receipt=105512',
    );
    expect(path(simulator.request(BASE, 'cancel', { txnId: '105512', extra: { mes: '2' } }, SETTINGS).url)).toBe(
      '/_kassa24_/payment?action=cancel&receipt=105512&mes=2',
    );
    expect(path(simulator.request(BASE, 'cancel', { txnId: '105512', account: '1', sum: '1.00' }, SETTINGS).url)).toBe(
      '/_kassa24_/payment?action=cancel&receipt=105512',
    );
  });

  it('escapes the number in the instance’s encoding', () => {
    expect(simulator.request(BASE, 'check', { account: 'Иван' }, SETTINGS).url.search).toBe(
      '?action=check&number=%D0%98%D0%B2%D0%B0%D0%BD',
    );
    expect(simulator.request(BASE, 'check', { account: 'Иван №1' }, CP1251).url.search).toBe(
      '?action=check&number=%C8%E2%E0%ED+%B91',
    );
    expect(() => simulator.request(BASE, 'check', { account: '日本' }, CP1251)).toThrow(/Windows-1251/);
  });

  it('says which input a request lacks', () => {
    const missing = (action: string, input: object) => {
      try {
        simulator.request(BASE, action, input, SETTINGS);
      } catch (error) {
        return error instanceof MissingInput ? error.input : error;
      }
      return undefined;
    };
    expect(missing('check', {})).toBe('account');
    expect(missing('pay', { sum: '1.00' })).toBe('account');
    expect(missing('pay', { account: '1' })).toBe('sum');
    expect(missing('status', { account: '1' })).toBe('txnId');
    expect(missing('cancel', {})).toBe('txnId');
  });

  it('has the network’s actions, pay first after check, and no others', () => {
    expect(simulator.actions.slice(0, 2)).toEqual(['check', 'pay']);
    expect(simulator.actions).toEqual(expect.arrayContaining(['payment', 'status', 'cancel']));
    expect(() => simulator.request(BASE, 'refund', { account: '1' }, SETTINGS)).toThrow(/no action "refund"/);
  });

  it('takes the network’s own names for the common inputs', () => {
    expect(simulator.aliases).toEqual({ number: 'account', amount: 'sum', receipt: 'txnId' });
  });
});

describe('Kassa24 simulator answers', () => {
  const xml = (inner: string, status = 200) => ({
    status,
    contentType: 'text/xml; charset=utf-8',
    body: `<?xml version="1.0" encoding="UTF-8"?><response>${inner}</response>`,
  });

  it('code 0 of a payment: accepted, with its date and authcode', () => {
    const answer = xml('<code>0</code><message>OK</message><date>2024-08-03T15:53:01</date><authcode>7</authcode>');
    expect(simulator.explain(answer, 'pay')).toEqual({
      lines: ['code 0: OK: the payment is recorded', 'message: OK', 'date: 2024-08-03T15:53:01', 'authcode: 7'],
      accepted: true,
      temporary: false,
    });
  });

  it.each([
    ['check', 'OK: the number exists'],
    ['status', 'OK: the payment is recorded and not cancelled'],
    ['cancel', 'OK: the payment is cancelled'],
    [undefined, 'OK'],
  ])('code 0 of %s: %s', (action, meaning) => {
    expect(simulator.explain(xml('<code>0</code><message>OK</message>'), action).lines[0]).toBe(`code 0: ${meaning}`);
  });

  it.each([
    ['1', 'unknown action', false],
    ['2', 'subscriber not found (your account check answered 4xx, or the number is missing or invalid)', false],
    ['3', 'wrong amount', false],
    ['4', 'wrong receipt (missing, not 1 to 20 digits, or already used with another number or amount)', false],
    ['5', 'wrong date', false],
    ['6', 'payment not found', false],
    ['7', 'payment cancelled', false],
    // The only code the network asks again on.
    ['8', 'temporary error: the network will repeat the request later', true],
    ['9', 'cancel impossible: this deployment forbids cancels', false],
    ['10', 'other error (see the message); final', false],
    ['11', 'a code payrelay does not give', false],
  ])('code %s: %s', (code, meaning, temporary) => {
    expect(simulator.explain(xml(`<code>${code}</code><message>x &amp; y</message>`))).toEqual({
      lines: [`code ${code}: ${meaning}`, 'message: x & y'],
      accepted: false,
      temporary,
    });
  });

  it('an answer without <code> is not the protocol’s', () => {
    expect(simulator.explain({ status: 404, contentType: 'text/plain', body: 'Not Found' })).toEqual({
      lines: ['no <code> in the answer: not a Kassa24 response'],
      accepted: false,
      temporary: false,
    });
  });

  it('refuses a clashing pay, and cancels make events', () => {
    expect(simulator.clash).toBe('refused');
    expect(simulator.eventAction).toBe('cancel');
  });
});
