/**
 * A value is taken exactly as sent or refused with result 5 naming it: nothing trimmed, no
 * character stripped, no byte read in the wrong charset, no `?` taken for the end of the query.
 * Every refusal echoes the txn_id as sent, records no payment and is in the request log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JSON_TYPE, type KaspiGateway, startKaspi } from './fixtures/gateway.js';

let kaspi: KaspiGateway;
beforeAll(async () => {
  kaspi = await startKaspi();
});
afterAll(() => kaspi.gateway.close());
afterEach(() => kaspi.empty());

const refused = (comment: string, txnId?: string) =>
  `{${txnId === undefined ? '' : `"txn_id":${JSON.stringify(txnId)},`}"result":5,"comment":"${comment}"}`;

describe('a value that is not exactly right is refused, never rewritten', () => {
  it.each([
    ['no command', 'txn_id=1&account=1&sum=1.00', refused('Unknown command', '1')],
    ['an unknown command', 'command=refund&txn_id=1&account=1&sum=1.00', refused('Unknown command', '1')],
    ['an upper-case command', 'command=PAY&txn_id=1&account=1&sum=1.00', refused('Unknown command', '1')],
    [
      'the command given twice, differently',
      'command=check&command=pay&txn_id=1&account=1&sum=1.00',
      refused('Unknown command', '1'),
    ],
    ['a NUL inside the command', 'command=pa%00y&txn_id=1&account=1&sum=1.00', refused('Unknown command', '1')],
    ['a parameter name in another case', 'Command=pay&txn_id=1&account=1&sum=1.00', refused('Unknown command', '1')],
    ['no txn_id', 'command=pay&account=1&sum=1.00', refused('Invalid txn_id')],
    ['an empty txn_id', 'command=pay&txn_id=&account=1&sum=1.00', refused('Invalid txn_id', '')],
    [
      'a txn_id of 21 digits',
      'command=pay&txn_id=123456789012345678901&account=1&sum=1.00',
      refused('Invalid txn_id', '123456789012345678901'),
    ],
    ['a negative txn_id', 'command=pay&txn_id=-1&account=1&sum=1.00', refused('Invalid txn_id', '-1')],
    ['a space after txn_id', 'command=pay&txn_id=1%20&account=1&sum=1.00', refused('Invalid txn_id', '1 ')],
    ['a line break inside txn_id', 'command=pay&txn_id=70%0A03&account=1&sum=1.00', refused('Invalid txn_id', '70\n03')],
    ['non-ASCII digits in txn_id', 'command=pay&txn_id=%D9%A1%D9%A2&account=1&sum=1.00', refused('Invalid txn_id', '١٢')],
    ['txn_id given twice, differently', 'command=pay&txn_id=1&txn_id=2&account=1&sum=1.00', refused('Invalid txn_id', '1')],
    ['a byte-order mark before txn_id', 'command=pay&%EF%BB%BFtxn_id=1&account=1&sum=1.00', refused('Invalid txn_id')],
    ['no account', 'command=pay&txn_id=1&sum=1.00', refused('Invalid account', '1')],
    ['an empty account', 'command=pay&txn_id=1&account=&sum=1.00', refused('Invalid account', '1')],
    ['an account that is only spaces', 'command=pay&txn_id=1&account=%20%20&sum=1.00', refused('Invalid account', '1')],
    ['an account with a NUL', 'command=pay&txn_id=1&account=12%0034&sum=1.00', refused('Invalid account', '1')],
    ['an account with a line break', 'command=check&txn_id=1&account=12%0A34&sum=0.00', refused('Invalid account', '1')],
    ['an account with a C1 control', 'command=pay&txn_id=1&account=12%C2%8534&sum=1.00', refused('Invalid account', '1')],
    ['an account with a byte-order mark', 'command=pay&txn_id=1&account=%EF%BB%BF12&sum=1.00', refused('Invalid account', '1')],
    [
      'an account in bytes that are not UTF-8',
      'command=pay&txn_id=1&account=%C8%E2%E0%ED&sum=1.00',
      refused('Invalid account', '1'),
    ],
    ['an account of 201 characters', `command=pay&txn_id=1&account=${'9'.repeat(201)}&sum=1.00`, refused('Invalid account', '1')],
    ['two different accounts', 'command=pay&txn_id=1&account=1&account=2&sum=1.00', refused('Invalid account', '1')],
    ['a pay without sum', 'command=pay&txn_id=1&account=1', refused('Invalid sum', '1')],
    ['an empty sum', 'command=pay&txn_id=1&account=1&sum=', refused('Invalid sum', '1')],
    ['a zero sum', 'command=pay&txn_id=1&account=1&sum=0.00', refused('Invalid sum', '1')],
    ['a negative sum', 'command=pay&txn_id=1&account=1&sum=-1.00', refused('Invalid sum', '1')],
    ['a sum with a sign', 'command=pay&txn_id=1&account=1&sum=%2B10', refused('Invalid sum', '1')],
    ['a sum with a comma', 'command=pay&txn_id=1&account=1&sum=10,45', refused('Invalid sum', '1')],
    ['a sum with three decimals', 'command=pay&txn_id=1&account=1&sum=10.455', refused('Invalid sum', '1')],
    ['a sum with a trailing dot', 'command=pay&txn_id=1&account=1&sum=10.', refused('Invalid sum', '1')],
    ['a sum in exponent form', 'command=pay&txn_id=1&account=1&sum=1e3', refused('Invalid sum', '1')],
    ['a space before the sum', 'command=pay&txn_id=1&account=1&sum=%2010.45', refused('Invalid sum', '1')],
    ['a NUL inside the sum', 'command=pay&txn_id=1&account=1&sum=1%000', refused('Invalid sum', '1')],
    ['non-ASCII digits in the sum', 'command=pay&txn_id=1&account=1&sum=%D9%A1', refused('Invalid sum', '1')],
    ['a sum of 13 digits', 'command=pay&txn_id=1&account=1&sum=1000000000000', refused('Invalid sum', '1')],
    ['two different sums', 'command=pay&txn_id=1&account=1&sum=1.00&sum=2.00', refused('Invalid sum', '1')],
    ['a sum followed by ?x', 'command=pay&txn_id=1&account=1&sum=10.45?x', refused('Invalid sum', '1')],
    [
      'a txn_date that is no date',
      'command=pay&txn_id=1&account=1&sum=1.00&txn_date=2026-05-01',
      refused('Invalid txn_date', '1'),
    ],
    ['an empty txn_date', 'command=pay&txn_id=1&account=1&sum=1.00&txn_date=', refused('Invalid txn_date', '1')],
    [
      'a txn_date with a NUL',
      'command=pay&txn_id=1&account=1&sum=1.00&txn_date=2026%000501153045',
      refused('Invalid txn_date', '1'),
    ],
    [
      'two different txn_dates',
      'command=pay&txn_id=1&account=1&sum=1.00&txn_date=20260501153045&txn_date=20260501153046',
      refused('Invalid txn_date', '1'),
    ],
  ])('%s', async (_name, query, answer) => {
    const response = await kaspi.get(`/_kaspi_/payment?${query}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(JSON_TYPE);
    expect(response.body).toBe(answer);
    expect(await kaspi.transactions()).toEqual([]);
    expect(await kaspi.logged()).toHaveLength(1);
  });

  it('echoes what it cannot read as well as it can, as JSON', async () => {
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=%22%5C%C8%01&account=1&sum=1.00');
    expect(response.body).toBe('{"txn_id":"\\"\\\\\uFFFD\\u0001","result":5,"comment":"Invalid txn_id"}');
    expect(JSON.parse(response.body).txn_id).toBe('"\\\uFFFD\u0001');
  });
});

describe('taken as sent', () => {
  it('the same value given twice', async () => {
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=56&txn_id=56&account=1&sum=1.00&sum=1.00');
    expect(JSON.parse(response.body)).toMatchObject({ result: 0 });
  });

  it('an account exactly as typed: spaces, a ? inside, lower-case escapes, non-ASCII', async () => {
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=57&account=+49+57%20&sum=1.00');
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=58&account=what?&sum=1.00');
    await kaspi.get('/_kaspi_/payment?command=pay&txn_id=59&account=%d0%b0%d0%b1%d0%b2&sum=1.00');
    await kaspi.get(`/_kaspi_/payment?command=pay&txn_id=60&account=${'🙂'.repeat(200)}&sum=1.00`);
    expect((await kaspi.transactions()).map(({ account }) => account)).toEqual([' 49 57 ', 'what?', 'абв', '🙂'.repeat(200)]);
  });

  it('unknown parameters, whatever they hold', async () => {
    const response = await kaspi.get('/_kaspi_/payment?command=pay&txn_id=61&account=1&sum=1.00&prv_id=%00&x=1&x=2&%C8=1');
    expect(JSON.parse(response.body)).toMatchObject({ result: 0 });
  });

  it('a Windows-1251 account when the Content-Type says so', async () => {
    const response = await kaspi.post(
      '/_kaspi_/payment',
      'command=pay&txn_id=62&account=%C8%E2%E0%ED&sum=1.00',
      'application/x-www-form-urlencoded; charset=windows-1251',
    );
    expect(JSON.parse(response.body)).toMatchObject({ result: 0 });
    expect((await kaspi.transactions())[0]!.account).toBe('Иван');
  });

  it('a parameter in the query and again in the body: the same value is fine, two values are refused', async () => {
    const same = await kaspi.post('/_kaspi_/payment?txn_id=63', 'command=pay&txn_id=63&account=1&sum=1.00');
    expect(JSON.parse(same.body)).toMatchObject({ result: 0 });
    const different = await kaspi.post('/_kaspi_/payment?txn_id=64', 'command=pay&txn_id=65&account=1&sum=1.00');
    expect(different.body).toBe(refused('Invalid txn_id', '64'));
  });
});
