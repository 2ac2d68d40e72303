/**
 * Reading Kaspi's requests and writing its answers, from the bytes on the wire: the answers of
 * the protocol's examples byte for byte, and properties over any txn_id, account, sum and field.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormParams } from '../kit/params.js';
import type { IncomingMessage } from '../types.js';
import { fieldsOf } from '../kit/fields.js';
import { backendRefusal, type KaspiAnswer, parseRequest, Result, renderAnswer } from './protocol.js';

function message(query: string, body = '', method = 'GET'): IncomingMessage {
  return {
    method,
    path: '/payment',
    url: `/_kaspi_/payment?${query}`,
    query: Buffer.from(query, 'latin1'),
    body: Buffer.from(body, 'latin1'),
    contentType: body ? 'application/x-www-form-urlencoded' : '',
    charset: 'utf-8',
    headers: {},
    ip: '194.187.247.152',
  };
}
const parse = (query: string, body?: string) => parseRequest(FormParams.of(message(query, body, body ? 'POST' : 'GET')));
const q = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');

describe('the answers of the examples, byte for byte', () => {
  it.each<[string, KaspiAnswer, string]>([
    ['check', { txnId: '1234567', result: 0, comment: 'OK' }, '{"txn_id":"1234567","result":0,"comment":"OK"}'],
    [
      'pay',
      { txnId: '1234567', prvTxn: '17', result: 0, sum: '200.00', comment: 'OK' },
      '{"txn_id":"1234567","prv_txn_id":17,"prv_txn":17,"result":0,"sum":200.00,"comment":"OK"}',
    ],
    [
      'a check with the holder',
      { txnId: '1234567', result: 0, comment: 'OK', fields: [['name', 'Иванов И.']] },
      '{"txn_id":"1234567","result":0,"comment":"OK","fields":{"field1":{"@name":"name","#text":"Иванов И."}}}',
    ],
    [
      'an unknown account',
      { txnId: '1234568', result: 1, comment: 'Account not found' },
      '{"txn_id":"1234568","result":1,"comment":"Account not found"}',
    ],
    [
      'a clash',
      { txnId: '1234567', result: 5, comment: 'txn_id already used with other data' },
      '{"txn_id":"1234567","result":5,"comment":"txn_id already used with other data"}',
    ],
    [
      'a bad txn_id',
      { txnId: 'nope', result: 5, comment: 'Invalid txn_id' },
      '{"txn_id":"nope","result":5,"comment":"Invalid txn_id"}',
    ],
    [
      'our own trouble',
      { txnId: '1234570', result: 4, comment: 'Temporary error, retry' },
      '{"txn_id":"1234570","result":4,"comment":"Temporary error, retry"}',
    ],
    [
      'a cancel',
      { txnId: '1234567', prvTxn: '17', result: 0, comment: 'Cancelled' },
      '{"txn_id":"1234567","prv_txn_id":17,"prv_txn":17,"result":0,"comment":"Cancelled"}',
    ],
    ['a request without txn_id', { result: 5, comment: 'Unknown command' }, '{"result":5,"comment":"Unknown command"}'],
  ])('%s', (_name, answer, bytes) => {
    expect(renderAnswer(answer)).toBe(bytes);
  });

  it('refuses to write what is no id or no two-decimal sum, rather than send broken JSON', () => {
    expect(() => renderAnswer({ prvTxn: '1 2', result: 0, comment: 'OK' })).toThrow(/prv_txn/);
    expect(() => renderAnswer({ sum: '200', result: 0, comment: 'OK' })).toThrow(/two decimals/);
    expect(() => renderAnswer({ sum: '1e3', result: 0, comment: 'OK' })).toThrow(/two decimals/);
  });
});

describe('reading a request', () => {
  it('the pay of the example', () => {
    expect(parse('command=pay&txn_id=1234567&txn_date=20260501153045&account=4957835959&sum=200.00')).toEqual({
      request: { command: 'pay', txnId: '1234567', account: '4957835959', sum: '200.00', txnDate: '20260501153045' },
    });
  });

  it('a check, its dummy sum unread', () => {
    expect(parse('command=check&txn_id=1&account=1&sum=%00&sum=x')).toEqual({
      request: { command: 'check', txnId: '1', account: '1' },
    });
  });

  it('a cancel by either id or both', () => {
    expect(parse('command=cancel&prv_txn=17')).toEqual({ request: { command: 'cancel', prvTxn: '17' } });
    expect(parse('command=cancel&txn_id=007')).toEqual({ request: { command: 'cancel', txnId: '007' } });
    expect(parse('command=cancel&txn_id=1&prv_txn=2')).toEqual({ request: { command: 'cancel', txnId: '1', prvTxn: '2' } });
  });

  it('a POST body merged with the query', () => {
    expect(parse('command=pay', 'txn_id=5&account=%D0%B0&sum=1')).toEqual({
      request: { command: 'pay', txnId: '5', account: 'а', sum: '1.00' },
    });
  });
});

describe('what a 4xx of the account check means', () => {
  it.each([
    [410, Result.orderCancelled, 'Order cancelled'],
    [409, Result.alreadyPaid, 'Order already paid'],
    [404, Result.accountNotFound, 'Account not found'],
    [400, Result.accountNotFound, 'Account not found'],
    [undefined, Result.accountNotFound, 'Account not found'],
  ])('%s: %i', (status, result, comment) => {
    expect(backendRefusal(status)).toEqual({ result, comment });
  });
});

describe('the holder’s fields', () => {
  it('texts, numbers and booleans in order; anything else is no fields', () => {
    expect(fieldsOf({ fields: { name: 'Иванов И.', due: 12.5, on: false, nested: {} } })).toEqual([
      ['name', 'Иванов И.'],
      ['due', '12.5'],
      ['on', 'false'],
    ]);
    for (const body of [undefined, 'text', [], { fields: [] }, { fields: null }, { fields: { x: [1] } }]) {
      expect(fieldsOf(body)).toBeUndefined();
    }
  });
});

const txnIds = fc.stringMatching(/^[0-9]{1,20}$/);
// What a customer may type: no control character, not only spaces, up to 200 characters.
const accounts = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
  .filter((text) => !/[\u0000-\u001f\u007f-\u009f\ufeff]/.test(text) && text.trim() !== '' && [...text].length <= 200);
const cents = fc.bigInt({ min: 1n, max: 999_999_999_999_99n });
const twoPlaces = (value: bigint) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;

describe('properties', () => {
  it('any txn_id of 1 to 20 digits, account and sum come back exactly, the txn_id a string, the sum with two decimals', () => {
    fc.assert(
      fc.property(txnIds, accounts, cents, (txnId, account, amount) => {
        const sum = twoPlaces(amount);
        const parsed = parse(q({ command: 'pay', txn_id: txnId, account, sum }));
        expect(parsed).toEqual({ request: { command: 'pay', txnId, account, sum, txnDate: undefined } });
        const body = renderAnswer({ txnId, prvTxn: '17', result: 0, sum, comment: 'OK' });
        expect(body).toBe(`{"txn_id":"${txnId}","prv_txn_id":17,"prv_txn":17,"result":0,"sum":${sum},"comment":"OK"}`);
        expect(JSON.parse(body).txn_id).toBe(txnId);
      }),
    );
  });

  it('a sum is taken exactly when it is digits with at most two decimals, above zero, below 10^12; refused otherwise', () => {
    const sums = fc.oneof(
      fc.stringMatching(/^[0-9]{1,14}(\.[0-9]{0,3})?$/),
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    );
    fc.assert(
      fc.property(sums, (sum) => {
        const parsed = parse(q({ command: 'pay', txn_id: '1', account: '1', sum }));
        const match = /^0*([0-9]{1,12})(?:\.([0-9]{1,2}))?$/.exec(sum);
        const exact = match ? `${match[1]!.replace(/^0+(?=\d)/, '')}.${(match[2] ?? '').padEnd(2, '0')}` : undefined;
        if (exact === undefined || exact === '0.00') {
          expect(parsed).toEqual({ refusal: { txnId: '1', result: Result.other, comment: 'Invalid sum' } });
        } else {
          expect(parsed).toMatchObject({ request: { sum: exact } });
          // The value itself, not a rounding of it: the same number of cents.
          expect(BigInt(exact.replace('.', ''))).toBe(BigInt(`${match![1]}${(match![2] ?? '').padEnd(2, '0')}`));
        }
      }),
    );
  });

  it('any txn_id that is not 1 to 20 ASCII digits is refused, and echoed as a JSON string of exactly what was sent', () => {
    const bad = fc.string({ unit: 'grapheme', maxLength: 30 }).filter((text) => !/^[0-9]{1,20}$/.test(text));
    fc.assert(
      fc.property(bad, fc.constantFrom('check', 'pay', 'cancel'), (txnId, command) => {
        const parsed = parse(q({ command, txn_id: txnId, account: '1', sum: '1.00' }));
        expect(parsed).toEqual({ refusal: { txnId, result: Result.other, comment: 'Invalid txn_id' } });
        if ('refusal' in parsed) expect(JSON.parse(renderAnswer(parsed.refusal)).txn_id).toBe(txnId);
      }),
    );
  });

  it('an account with a control character is refused, never cleaned', () => {
    const control = fc.integer({ min: 0, max: 0x9f }).filter((code) => code < 0x20 || code >= 0x7f);
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), control, fc.string({ maxLength: 20 }), (before, code, after) => {
        const account = `${before}${String.fromCharCode(code)}${after}`;
        expect(parse(q({ command: 'pay', txn_id: '1', account, sum: '1.00' }))).toEqual({
          refusal: { txnId: '1', result: Result.other, comment: 'Invalid account' },
        });
      }),
    );
  });

  it('a parameter given twice with two values is refused; twice with one value is taken', () => {
    const names = fc.constantFrom('command', 'txn_id', 'account', 'sum', 'txn_date');
    const valid: Record<string, string> = {
      command: 'pay',
      txn_id: '12',
      account: 'A',
      sum: '5.00',
      txn_date: '20260501153045',
    };
    fc.assert(
      fc.property(names, fc.stringMatching(/^[0-9A-Za-z.]{1,12}$/), fc.boolean(), (name, other, same) => {
        const second = same ? valid[name]! : other;
        fc.pre(same || other !== valid[name]);
        const parsed = parse(`${q(valid)}&${name}=${encodeURIComponent(second)}`);
        if (same) expect(parsed).toMatchObject({ request: { command: 'pay', txnId: '12', account: 'A', sum: '5.00' } });
        else expect(parsed).toMatchObject({ refusal: { result: Result.other } });
      }),
    );
  });

  it('any answer is one compact JSON object, its keys in the protocol’s order, its texts as given', () => {
    const text = fc.string({ unit: 'binary', maxLength: 20 });
    const answers = fc.record(
      {
        txnId: text,
        prvTxn: fc.stringMatching(/^[1-9][0-9]{0,17}$/),
        result: fc.constantFrom(0, 1, 2, 3, 4, 5),
        sum: cents.map(twoPlaces),
        comment: text,
        fields: fc.array(fc.tuple(text, text), { minLength: 1, maxLength: 4 }),
      },
      { requiredKeys: ['result', 'comment'] },
    );
    fc.assert(
      fc.property(answers, (answer) => {
        const body = renderAnswer(answer);
        const parsed = JSON.parse(body) as Record<string, unknown>;
        const order = ['txn_id', 'prv_txn_id', 'prv_txn', 'result', 'sum', 'comment', 'fields'];
        expect(Object.keys(parsed)).toEqual(order.filter((key) => key in parsed));
        expect(parsed.txn_id).toBe(answer.txnId);
        expect(parsed.comment).toBe(answer.comment);
        if (answer.sum) expect(body).toContain(`"sum":${answer.sum},`);
        if (answer.prvTxn) expect(body).toContain(`"prv_txn_id":${answer.prvTxn},"prv_txn":${answer.prvTxn},`);
        const fields = Object.values((parsed.fields ?? {}) as Record<string, { '@name': string; '#text': string }>);
        expect(fields.map((field) => [field['@name'], field['#text']])).toEqual(answer.fields ?? []);
        // Compact: no whitespace outside the strings.
        expect(body.replace(/"(?:[^"\\]|\\.)*"/g, '""')).not.toMatch(/\s/);
      }),
    );
  });
});
