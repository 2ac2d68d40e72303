/**
 * The CloudPayments simulator: the exact body of each notification, signed as CloudPayments signs
 * (checked against an HMAC computed here, not by the simulator's code), and what each code means.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MissingInput, type SimulationInput } from '../simulator.js';
import type { CloudPaymentsSettings } from './settings.js';
import { simulator } from './simulator.js';

const SECRET = 'simulator-test-secret';
const SETTINGS: CloudPaymentsSettings = { checkTimeoutMs: 10_000, encoding: 'utf-8', redirectHosts: [], apiSecret: SECRET };
const BASE = new URL('http://gateway.test:8080/_cloudpayments_/');
const NOW = new Date('2024-03-15T09:41:07.123Z');
const INPUT: SimulationInput = { account: 'C-1', sum: '99.90', txnId: '7001', now: NOW };

const hmac = (bytes: Buffer) => createHmac('sha256', SECRET).update(bytes).digest('base64');

const COMMON = 'TransactionId=7001&Amount=99.90&Currency=RUB&DateTime=2024-03-15+09%3A41%3A07&AccountId=C-1';
const CARD = 'CardFirstSix=424242&CardLastFour=4242&CardType=Visa&CardExpDate=12%2F30';

describe('CloudPayments simulator requests', () => {
  it.each([
    ['check', `${COMMON}&TestMode=1&${CARD}&OperationType=Payment&Status=Completed`],
    ['pay', `${COMMON}&TestMode=1&${CARD}&OperationType=Payment&Status=Completed`],
    ['fail', `${COMMON}&TestMode=1&${CARD}&OperationType=Payment&Status=Declined&Reason=InsufficientFunds&ReasonCode=5051`],
    [
      'refund',
      `TransactionId=${NOW.getTime() + 1}&Amount=99.90&Currency=RUB&DateTime=2024-03-15+09%3A41%3A07&AccountId=C-1&TestMode=1&PaymentTransactionId=7001&OperationType=Refund`,
    ],
    ['cancel', `${COMMON}&TestMode=1&OperationType=Payment&Status=Cancelled`],
  ])('%s: the form body, POSTed to its path, both HMACs', (action, body) => {
    const request = simulator.request(BASE, action, INPUT, SETTINGS);
    expect(request.method).toBe('POST');
    expect(request.url.href).toBe(`http://gateway.test:8080/_cloudpayments_/${action}`);
    expect(request.body).toBe(body);
    expect(request.signed).toBe(true);
    expect(request.headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'content-hmac': hmac(Buffer.from(body, 'latin1')),
      'x-content-hmac': hmac(Buffer.from(decodeURIComponent(body.replaceAll('+', ' ')), 'utf8')),
    });
  });

  it('Content-HMAC signs the exact bytes and X-Content-HMAC the decoded UTF-8 text: they differ once a value is escaped', () => {
    const extra = { currency: 'USD', 'invoice-id': 'INV 1/2', email: 'пётр@example.ru' };
    const request = simulator.request(BASE, 'pay', { ...INPUT, extra }, SETTINGS);
    const body =
      'TransactionId=7001&Amount=99.90&Currency=USD&DateTime=2024-03-15+09%3A41%3A07&AccountId=C-1' +
      '&InvoiceId=INV+1%2F2&Email=%D0%BF%D1%91%D1%82%D1%80%40example.ru&TestMode=1' +
      `&${CARD}&OperationType=Payment&Status=Completed`;
    expect(request.body).toBe(body);
    const decoded =
      'TransactionId=7001&Amount=99.90&Currency=USD&DateTime=2024-03-15 09:41:07&AccountId=C-1' +
      '&InvoiceId=INV 1/2&Email=пётр@example.ru&TestMode=1' +
      '&CardFirstSix=424242&CardLastFour=4242&CardType=Visa&CardExpDate=12/30&OperationType=Payment&Status=Completed';
    expect(request.headers?.['content-hmac']).toBe(hmac(Buffer.from(body, 'ascii')));
    expect(request.headers?.['x-content-hmac']).toBe(hmac(Buffer.from(decoded, 'utf8')));
    expect(request.headers?.['content-hmac']).not.toBe(request.headers?.['x-content-hmac']);
  });

  it('receipt: the fiscal fields and the receipt as JSON', () => {
    const request = simulator.request(BASE, 'receipt', { ...INPUT, sum: '12.00', txnId: '7004' }, SETTINGS);
    expect(request.url.pathname).toBe('/_cloudpayments_/receipt');
    const fields = Object.fromEntries(new URLSearchParams(request.body));
    expect(fields).toMatchObject({
      TransactionId: '7004',
      Amount: '12.00',
      Id: 'receipt-7004',
      DocumentNumber: '1',
      Type: 'Income',
      Receipt: '{"Items":[{"label":"Payment","price":12,"quantity":1,"amount":12,"vat":null}],"Email":null}',
    });
    expect(request.headers?.['content-hmac']).toBe(hmac(Buffer.from(request.body!, 'latin1')));
  });

  it('without a secret: unsigned, as the gateway then accepts', () => {
    const request = simulator.request(BASE, 'pay', INPUT, { ...SETTINGS, apiSecret: undefined });
    expect(request.signed).toBe(false);
    expect(request.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' });
  });

  it('needs an account and a sum; --amount is the sum', () => {
    const missing = (input: SimulationInput) => {
      try {
        simulator.request(BASE, 'pay', input, SETTINGS);
      } catch (error) {
        if (error instanceof MissingInput) return error.input;
        throw error;
      }
      return undefined;
    };
    expect(missing({ sum: '1.00' })).toBe('account');
    expect(missing({ account: 'C-1' })).toBe('sum');
    expect(simulator.aliases).toEqual({ amount: 'sum' });
    expect(simulator.actions).toEqual(['check', 'pay', 'fail', 'refund', 'cancel', 'receipt']);
  });
});

describe('CloudPayments simulator answers', () => {
  const json = (code: number) => ({ status: 200, contentType: 'application/json', body: `{"code":${code}}` });

  it.each([
    [0, 'accepted', true],
    [10, 'wrong InvoiceId', false],
    [11, 'wrong AccountId (no AccountId, or your account check answered 4xx)', false],
    [12, 'wrong amount', false],
    [13, 'cannot be accepted (a refusal, or a temporary failure: CloudPayments repeats all but Check)', false],
    [20, 'payment expired', false],
    [14, 'a code CloudPayments does not define', false],
  ])('code %i: %s', (code, meaning, accepted) => {
    // Any code but 0 makes CloudPayments repeat a notification; without the action, read as one.
    expect(simulator.explain(json(code))).toEqual({ lines: [`code ${code}: ${meaning}`], accepted, temporary: !accepted });
  });

  it('a code but 0 is repeated for a notification, and final for a Check, which it declines', () => {
    for (const action of ['pay', 'refund', 'cancel', 'fail', 'receipt']) {
      expect(simulator.explain(json(13), action).temporary, action).toBe(true);
      expect(simulator.explain(json(0), action).temporary, action).toBe(false);
    }
    expect(simulator.explain(json(13), 'check')).toMatchObject({ accepted: false, temporary: false });
    expect(simulator.explain(json(11), 'check')).toMatchObject({ accepted: false, temporary: false });
  });

  it.each(['Not Found', '{"code":"0"}', '{}'])('%s is no answer CloudPayments reads', (body) => {
    expect(simulator.explain({ status: 404, contentType: 'text/plain', body }, 'pay')).toEqual({
      lines: ['no {"code":N} in the answer: CloudPayments would count it a failure and repeat'],
      accepted: false,
      temporary: true,
    });
  });

  it('a Pay reusing a TransactionId is acknowledged (kept aside), and a refund makes an event', () => {
    expect(simulator.clash).toBe('accepted');
    expect(simulator.eventAction).toBe('refund');
    expect(simulator.actions).toContain(simulator.eventAction);
  });
});
