/**
 * Every way FreedomPay may send a call, through the gateway: a GET query, a form, multipart, a
 * form field pg_xml, a raw XML body; nested fields the merchant added. Each is verified and
 * recorded alike.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { FORM, MERCHANT, readAnswer, resultFields, SECRET } from './fixtures/calls.js';
import { flat, type PhpFields, phpSignature } from './fixtures/php.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ PROVIDERS: 'paybox', PAYBOX_SECRET_KEY: SECRET, PAYBOX_MERCHANT_ID: MERCHANT });
});
afterAll(() => gateway?.close());

async function stored(code: string) {
  return gateway.db.query(
    `SELECT account, sum::text AS sum, currency, payload FROM ${gateway.db.table('paybox_transaction')} WHERE code = $1`,
    [code],
  );
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xmlOf = (fields: Record<string, string>) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<request>\n${Object.entries(fields)
    .map(([name, value]) => `  <${name}>${escapeXml(value)}</${name}>`)
    .join('\n')}\n</request>\n`;

function multipart(fields: Record<string, string>, boundary: string): string {
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return `${parts.join('')}--${boundary}--\r\n`;
}

type Send = (fields: Record<string, string>) => { method: 'GET' | 'POST'; url: string; contentType?: string; body?: string };
const RESULT = '/_paybox_/result';

const FORMATS: [string, Send][] = [
  ['a GET query', (fields) => ({ method: 'GET', url: `${RESULT}?${new URLSearchParams(fields)}` })],
  ['a form', (fields) => ({ method: 'POST', url: RESULT, contentType: FORM, body: `${new URLSearchParams(fields)}` })],
  [
    'multipart/form-data',
    (fields) => ({
      method: 'POST',
      url: RESULT,
      contentType: 'multipart/form-data; boundary=----FreedomPay7MA4YWxk',
      body: multipart(fields, '----FreedomPay7MA4YWxk'),
    }),
  ],
  [
    'a form field pg_xml',
    (fields) => ({ method: 'POST', url: RESULT, contentType: FORM, body: `pg_xml=${encodeURIComponent(xmlOf(fields))}` }),
  ],
  ['a raw XML body', (fields) => ({ method: 'POST', url: RESULT, contentType: 'text/xml; charset=utf-8', body: xmlOf(fields) })],
];

/** Windows-1251 percent-escapes of text (Cyrillic and ASCII only). */
function cp1251(text: string): string {
  return [...text]
    .map((char) => {
      const code = char.codePointAt(0)!;
      if (code >= 0x410 && code <= 0x44f) return `%${(code - 0x410 + 0xc0).toString(16).toUpperCase()}`;
      if (code === 0x401) return '%A8';
      if (code === 0x451) return '%B8';
      return encodeURIComponent(char);
    })
    .join('');
}

describe('each format', () => {
  it.each(FORMATS)('%s: verified, recorded, answered ok', async (_, make) => {
    const unsigned = resultFields({ pg_description: 'Оплата заказа №7 «тест» & <ок>' });
    const fields = { ...unsigned, pg_sig: phpSignature('result', flat(unsigned), SECRET) };
    const request = make(fields);
    const response = await gateway.app.inject({
      method: request.method,
      url: request.url,
      headers: request.contentType ? { 'content-type': request.contentType } : {},
      payload: request.body,
    });
    expect(readAnswer(response, 'result')).toMatchObject({ http: 200, status: 'ok', salt: unsigned.pg_salt });
    const [row] = await stored(unsigned.pg_payment_id!);
    expect(row).toMatchObject({ account: unsigned.pg_order_id, sum: '1500.00', currency: 'KZT' });
    expect(row!.payload).toEqual(unsigned);
  });
});

describe('a form in Windows-1251, as its Content-Type says', () => {
  it('is read in that charset and verified over the bytes it came as', async () => {
    const unsigned = resultFields({ pg_description: 'Оплата' });
    const body = Object.entries(unsigned)
      .map(([name, value]) => `${name}=${cp1251(value)}`)
      .join('&');
    // The signature covers the bytes as sent: the description's six Windows-1251 bytes.
    const raw = Buffer.from([0xce, 0xef, 0xeb, 0xe0, 0xf2, 0xe0]);
    expect(cp1251('Оплата')).toBe('%CE%EF%EB%E0%F2%E0');
    const values = Object.keys(unsigned)
      .sort()
      .map((name) => (name === 'pg_description' ? raw : Buffer.from(unsigned[name]!, 'utf8')));
    const parts = [Buffer.from('result'), ...values, Buffer.from(SECRET)];
    const joined = Buffer.concat(parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from(';'), part])));
    const signature = createHash('md5').update(joined).digest('hex');
    const response = await gateway.app.inject({
      method: 'POST',
      url: RESULT,
      headers: { 'content-type': `${FORM}; charset=windows-1251` },
      payload: `${body}&pg_sig=${signature}`,
    });
    expect(readAnswer(response, 'result').status).toBe('ok');
    expect((await stored(unsigned.pg_payment_id!))[0]!.payload).toMatchObject({ pg_description: 'Оплата' });
  });
});

describe('nested fields the merchant added', () => {
  const items = (name: (index: number) => string): PhpFields => [
    [
      name(0),
      [
        ['name', 'Чай'],
        ['price', '700'],
      ],
    ],
    [
      name(1),
      [
        ['name', 'Кофе'],
        ['price', '800'],
      ],
    ],
  ];

  it('from a form with bracketed names: signed with PHP’s flattening, kept as objects', async () => {
    const base = resultFields();
    const signature = phpSignature('result', [...flat(base), ['items', items(String)], ['meta', [['source', 'app']]]], SECRET);
    const body =
      `${new URLSearchParams(base)}&items[0][name]=${encodeURIComponent('Чай')}&items[0][price]=700` +
      `&items[1][name]=${encodeURIComponent('Кофе')}&items[1][price]=800&meta[source]=app&pg_sig=${signature}`;
    const response = await gateway.app.inject({ method: 'POST', url: RESULT, headers: { 'content-type': FORM }, payload: body });
    expect(readAnswer(response, 'result').status).toBe('ok');
    expect((await stored(base.pg_payment_id!))[0]!.payload).toMatchObject({
      items: { 0: { name: 'Чай', price: '700' }, 1: { name: 'Кофе', price: '800' } },
      meta: { source: 'app' },
    });
  });

  it('from XML with repeated elements: signed in their order, kept as a list', async () => {
    const base = resultFields();
    const signature = phpSignature(
      'result',
      [...flat(base), ['items', items(() => 'item')], ['meta', [['source', 'app']]]],
      SECRET,
    );
    const leaves = Object.entries(base).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
    const xml =
      `<request>${leaves.join('')}<items><item><name>Чай</name><price>700</price></item>` +
      `<item><name>Кофе</name><price>800</price></item></items><meta><source>app</source></meta>` +
      `<pg_sig>${signature}</pg_sig></request>`;
    const response = await gateway.app.inject({
      method: 'POST',
      url: RESULT,
      headers: { 'content-type': 'application/xml' },
      payload: xml,
    });
    expect(readAnswer(response, 'result').status).toBe('ok');
    expect((await stored(base.pg_payment_id!))[0]!.payload).toMatchObject({
      items: {
        item: [
          { name: 'Чай', price: '700' },
          { name: 'Кофе', price: '800' },
        ],
      },
      meta: { source: 'app' },
    });
  });
});
