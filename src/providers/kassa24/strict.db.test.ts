/**
 * A value is taken exactly as sent or refused with its code (docs/providers/kassa24.md): nothing
 * trimmed, no character stripped, no byte read in the wrong charset, one name twice with
 * different values never guessed between. A refusal records nothing and logs the request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ PROVIDERS: 'kassa24' });
});
afterAll(() => gateway.close());
afterEach(async () => {
  for (const table of ['kassa24_transaction', 'kassa24_http_log', 'kassa24_event']) {
    await gateway.db.query(`DELETE FROM ${gateway.db.table(table)}`);
  }
});

const get = (query: string) => gateway.app.inject({ method: 'GET', url: `/_kassa24_/payment?${query}` });
const post = (query: string, body: string, contentType = 'application/x-www-form-urlencoded') =>
  gateway.app.inject({
    method: 'POST',
    url: `/_kassa24_/payment${query ? `?${query}` : ''}`,
    headers: { 'content-type': contentType },
    payload: body,
  });
const codeOf = (body: string) =>
  Number(/^<\?xml version="1\.0" encoding="UTF-8"\?><response><code>(\d+)<\/code>/.exec(body)?.[1]);
const transactions = () =>
  gateway.db.query<{ account: string; code: string; sum: string; network_date: string | null }>(
    `SELECT account, code, sum::text AS sum, network_date FROM ${gateway.db.table('kassa24_transaction')} ORDER BY id`,
  );
const logged = () => gateway.db.query(`SELECT method, url FROM ${gateway.db.table('kassa24_http_log')} ORDER BY id`);

const PAY = 'action=payment&number=100234&amount=1500.00&receipt=105512';

describe('a value that is not exactly right is refused with its code, never rewritten', () => {
  it.each([
    // action: code 1
    ['no action', 'number=1&amount=1&receipt=1', 1],
    ['an empty action', `action=&${PAY.slice(15)}`, 1],
    ['an upper-case action', PAY.replace('payment', 'PAYMENT'), 1],
    ['another protocol’s word for it', PAY.replace('payment', 'pay'), 1],
    ['a space before the action', PAY.replace('payment', '%20payment'), 1],
    ['a NUL inside the action', PAY.replace('payment', 'pay%00ment'), 1],
    ['an action that is a prefix of one', 'action=chec&number=1', 1],
    // number: code 2
    ['no number', 'action=payment&amount=1.00&receipt=1', 2],
    ['an empty number', 'action=check&number=', 2],
    ['a number that is only spaces', 'action=check&number=+%20', 2],
    ['a line break inside the number', 'action=check&number=12%0A34', 2],
    ['a C1 control inside the number', 'action=payment&number=12%C2%8534&amount=1&receipt=1', 2],
    ['a byte-order mark before the number', 'action=check&number=%EF%BB%BF1234', 2],
    ['DEL inside the number', 'action=check&number=12%7F', 2],
    ['a number in bytes that are not UTF-8', 'action=payment&number=%C8%E2%E0%ED&amount=1&receipt=1', 2],
    ['a number of 201 characters', `action=check&number=${'7'.repeat(201)}`, 2],
    // amount: code 3
    ['no amount', 'action=payment&number=1&receipt=1', 3],
    ['an empty amount', 'action=payment&number=1&amount=&receipt=1', 3],
    ['a zero amount', 'action=payment&number=1&amount=0&receipt=1', 3],
    ['a zero amount with decimals', 'action=payment&number=1&amount=0.00&receipt=1', 3],
    ['a decimal comma', 'action=payment&number=1&amount=1500%2C00&receipt=1', 3],
    ['a minus sign', 'action=payment&number=1&amount=-1.00&receipt=1', 3],
    ['a plus sign', 'action=payment&number=1&amount=%2B1.00&receipt=1', 3],
    ['an exponent', 'action=payment&number=1&amount=1e3&receipt=1', 3],
    ['three decimals', 'action=payment&number=1&amount=1.001&receipt=1', 3],
    ['a trailing dot', 'action=payment&number=1&amount=10.&receipt=1', 3],
    ['a leading dot', 'action=payment&number=1&amount=.50&receipt=1', 3],
    ['a space before the amount', 'action=payment&number=1&amount=%201.00&receipt=1', 3],
    ['a space after the amount', 'action=payment&number=1&amount=1.00+&receipt=1', 3],
    ['non-ASCII digits in the amount', 'action=payment&number=1&amount=%D9%A1&receipt=1', 3],
    ['an absurd amount', 'action=payment&number=1&amount=1000000000000&receipt=1', 3],
    ['an amount followed by ?x', 'action=payment&number=1&amount=1.00?x&receipt=1', 3],
    // receipt: code 4
    ['no receipt', 'action=payment&number=1&amount=1.00', 4],
    ['an empty receipt', 'action=payment&number=1&amount=1.00&receipt=', 4],
    ['a receipt of 21 digits', `action=payment&number=1&amount=1.00&receipt=${'1'.repeat(21)}`, 4],
    ['a receipt with a letter', 'action=payment&number=1&amount=1.00&receipt=12a', 4],
    ['a negative receipt', 'action=payment&number=1&amount=1.00&receipt=-12', 4],
    ['a space after the receipt', 'action=payment&number=1&amount=1.00&receipt=12%20', 4],
    ['non-ASCII digits in the receipt', 'action=payment&number=1&amount=1.00&receipt=%D9%A1%D9%A2', 4],
    ['no receipt in a status', 'action=status', 4],
    ['a receipt with a decimal point in a cancel', 'action=cancel&receipt=1.0', 4],
    // date: code 5
    ['an empty date', `${PAY}&date=`, 5],
    ['the 30th of February', `${PAY}&date=2024-02-30T10:00:00`, 5],
    ['the 29th of February of a common year', `${PAY}&date=2023-02-29T10:00:00`, 5],
    ['the 29th of February of 1900', `${PAY}&date=1900-02-29T10:00:00`, 5],
    ['month 13', `${PAY}&date=2024-13-01T10:00:00`, 5],
    ['day 0', `${PAY}&date=2024-08-00T10:00:00`, 5],
    ['hour 24', `${PAY}&date=2024-08-03T24:00:00`, 5],
    ['minute 60', `${PAY}&date=2024-08-03T15:60:00`, 5],
    ['a leap second', `${PAY}&date=2024-08-03T15:53:60`, 5],
    ['a space for the T', `${PAY}&date=2024-08-03+15:53:00`, 5],
    ['a lower-case t', `${PAY}&date=2024-08-03t15:53:00`, 5],
    ['no seconds', `${PAY}&date=2024-08-03T15:53`, 5],
    ['a time zone', `${PAY}&date=2024-08-03T15:53:00Z`, 5],
    ['an offset', `${PAY}&date=2024-08-03T15:53:00%2B05:00`, 5],
    ['fractions of a second', `${PAY}&date=2024-08-03T15:53:00.000`, 5],
    ['a date alone', `${PAY}&date=2024-08-03`, 5],
    ['one-digit fields', `${PAY}&date=2024-8-3T15:53:00`, 5],
    ['a NUL in the date', `${PAY}&date=2024-08-03T15:53:00%00`, 5],
    ['the other order of day and month', `${PAY}&date=03.08.2024+15:53:00`, 5],
    // one name twice with different values, and values kept that cannot be read: code 10
    ['the action twice', `${PAY}&action=check`, 10],
    ['the number twice', `${PAY}&number=100235`, 10],
    ['the amount twice', `${PAY}&amount=1500`, 10],
    ['the receipt twice', `${PAY}&receipt=105513`, 10],
    ['the date twice', `${PAY}&date=2024-08-03T15:53:00&date=2024-08-03T15:53:01`, 10],
    ['a control character in type', `${PAY}&type=1%0A`, 10],
    ['a NUL in commission', `${PAY}&commission=50%00`, 10],
    ['bytes that are not UTF-8 in type', `${PAY}&type=%FF`, 10],
    ['the receipt twice in a status', 'action=status&receipt=1&receipt=2', 10],
    ['a control character in mes', 'action=cancel&receipt=1&mes=2%0D', 10],
  ])('%s', async (_name, query, code) => {
    const response = await get(query);
    expect(response.statusCode).toBe(200);
    expect(codeOf(response.body)).toBe(code);
    expect(response.body).not.toContain('<authcode>');
    expect(await transactions()).toEqual([]);
    expect(await logged()).toHaveLength(1);
  });

  it('says which parameter came twice', async () => {
    expect((await get(`${PAY}&receipt=105513`)).body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><response><code>10</code><message>Parameter receipt given twice</message></response>',
    );
  });
});

describe('what is right is taken exactly as sent', () => {
  it.each([
    ['1', '1.00'],
    ['1.5', '1.50'],
    ['25.34', '25.34'],
    ['1500.00', '1500.00'],
    ['0.01', '0.01'],
    ['007.10', '7.10'],
    ['999999999999.99', '999999999999.99'],
  ])('amount=%s is the sum %s', async (amount, sum) => {
    expect(codeOf((await get(`action=payment&number=1&amount=${amount}&receipt=55`)).body)).toBe(0);
    expect(await transactions()).toEqual([{ account: '1', code: '55', sum, network_date: null }]);
  });

  it.each([
    ['leading zeros', '000123', '000123'],
    ['spaces around and inside', '+12%2034+', ' 12 34 '],
    ['a question mark', 'what?', 'what?'],
    ['Cyrillic', '%D0%98%D0%B2%D0%B0%D0%BD', 'Иван'],
    ['an ampersand and an equals sign, escaped', 'a%26b%3Dc', 'a&b=c'],
    ['200 characters', 'Ж'.repeat(200), 'Ж'.repeat(200)],
  ])('a number with %s is kept verbatim', async (_name, escaped, number) => {
    const query = `action=payment&number=${escaped.includes('Ж') ? encodeURIComponent(escaped) : escaped}&amount=1&receipt=56`;
    expect(codeOf((await get(query)).body)).toBe(0);
    expect((await transactions())[0]!.account).toBe(number);
  });

  it('a receipt is text: leading zeros make another payment, 20 digits are kept', async () => {
    expect(codeOf((await get('action=payment&number=1&amount=1&receipt=7')).body)).toBe(0);
    expect(codeOf((await get('action=payment&number=2&amount=2&receipt=007')).body)).toBe(0);
    expect(codeOf((await get('action=payment&number=3&amount=3&receipt=18446744073709551617')).body)).toBe(0);
    expect((await transactions()).map(({ code }) => code)).toEqual(['7', '007', '18446744073709551617']);
  });

  it('a real date is kept as sent, the 29th of February of a leap year included', async () => {
    expect(codeOf((await get(`${PAY}&date=2024-02-29T23:59:59`)).body)).toBe(0);
    expect(codeOf((await get('action=payment&number=1&amount=1&receipt=2&date=2000-02-29T00:00:00')).body)).toBe(0);
    expect((await transactions()).map(({ network_date }) => network_date)).toEqual([
      '2024-02-29T23:59:59',
      '2000-02-29T00:00:00',
    ]);
  });

  it('the same value twice is one value', async () => {
    expect(codeOf((await get(`${PAY}&receipt=105512&amount=1500.00`)).body)).toBe(0);
    expect(await transactions()).toHaveLength(1);
  });

  it('a check reads the number only: whatever else it carries is ignored', async () => {
    const response = await get('action=check&number=1&receipt=abc&amount=-1&date=never&type=%00&receipt=2');
    expect(codeOf(response.body)).toBe(0);
    expect(await transactions()).toEqual([]);
  });

  it('parameters it does not know are recorded in the request log only, never an error', async () => {
    const query = `${PAY}&additional=%FF%00&sign=abc&sign=def&prv_id=9&x`;
    expect(codeOf((await get(query)).body)).toBe(0);
    expect(await transactions()).toHaveLength(1);
    expect(await logged()).toEqual([{ method: 'GET', url: `/_kassa24_/payment?${query}` }]);
  });

  it('an empty type or commission is no value', async () => {
    expect(codeOf((await get(`${PAY}&type=&commission=`)).body)).toBe(0);
    const [row] = await gateway.db.query(`SELECT type, commission FROM ${gateway.db.table('kassa24_transaction')}`);
    expect(row).toEqual({ type: null, commission: null });
  });
});

describe('a POST form is merged with the query', () => {
  it('takes the fields from both', async () => {
    const response = await post('action=payment', 'number=100234&amount=1500.00&receipt=105512&date=2024-08-03T15%3A53%3A00');
    expect(codeOf(response.body)).toBe(0);
    expect(await transactions()).toEqual([
      { account: '100234', code: '105512', sum: '1500.00', network_date: '2024-08-03T15:53:00' },
    ]);
  });

  it('takes a form alone', async () => {
    expect(codeOf((await post('', PAY)).body)).toBe(0);
    expect(await transactions()).toHaveLength(1);
  });

  it('refuses a name the query and the body give differently, and takes one they give alike', async () => {
    expect(codeOf((await post('receipt=105512', PAY.replace('105512', '105599'))).body)).toBe(10);
    expect(await transactions()).toEqual([]);
    expect(codeOf((await post('receipt=105512', PAY)).body)).toBe(0);
  });

  it('a GET’s body is not read', async () => {
    const response = await gateway.app.inject({
      method: 'GET',
      url: '/_kassa24_/payment?action=check',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'number=1',
    });
    expect(codeOf(response.body)).toBe(2);
  });
});
