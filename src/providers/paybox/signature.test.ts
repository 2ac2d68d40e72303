/**
 * The signature against the contract's worked examples and against an independent computation
 * (./fixtures/php.ts: node's md5 over the documented string), never only against our own signer.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../types.js';
import { renderAnswer } from './answer.js';
import { answerSignature, flat, md5, type PhpFields, phpSignature, phpSignatureString } from './fixtures/php.js';
import { type Fields, readFields } from './message.js';
import { scriptName, signatureMatches, signatureOf, signText } from './signature.js';
import { utf8Binary } from './tree.js';

function post(body: string, contentType = 'application/x-www-form-urlencoded', url = '/_paybox_/result'): IncomingMessage {
  return {
    method: 'POST',
    path: '/result',
    url,
    query: Buffer.alloc(0),
    body: Buffer.from(body, 'utf8'),
    contentType,
    charset: 'utf-8',
    headers: {},
    ip: '127.0.0.1',
  };
}

function fieldsOf(message: IncomingMessage): Fields {
  const read = readFields(message);
  if (!('fields' in read)) throw new Error(read.problem);
  return read.fields;
}

const sign = (script: string, message: IncomingMessage, secret: string) =>
  signatureOf(utf8Binary(script), fieldsOf(message).nodes, secret);

/** The provider's own example: a request to script.php with nested fields, key mypasskey. */
const PROVIDER_XML = `<?xml version="1.0" encoding="utf-8"?>
<request>
  <pg_salt>9imM909TH820jwk387</pg_salt>
  <pg_t_param>value3</pg_t_param>
  <pg_a_param>value1</pg_a_param>
  <pg_z_param>
    <pg_q_subparam>subvalue2</pg_q_subparam>
    <pg_m_subparam>subvalue1</pg_m_subparam>
  </pg_z_param>
  <pg_b_param>value2</pg_b_param>
</request>`;

describe('the contract’s worked examples', () => {
  it('the provider’s string gives a8a4d5a9188f24038a14a4d65c387bf7', () => {
    const text = 'script.php;value1;value2;9imM909TH820jwk387;value3;subvalue1;subvalue2;mypasskey';
    expect(md5(text)).toBe('a8a4d5a9188f24038a14a4d65c387bf7');
  });

  it('the provider’s nested example signs to the same, as XML and as a form with bracketed names', () => {
    expect(sign('script.php', post(PROVIDER_XML, 'text/xml'), 'mypasskey')).toBe('a8a4d5a9188f24038a14a4d65c387bf7');
    const form =
      'pg_salt=9imM909TH820jwk387&pg_t_param=value3&pg_a_param=value1' +
      '&pg_z_param%5Bpg_q_subparam%5D=subvalue2&pg_z_param[pg_m_subparam]=subvalue1&pg_b_param=value2';
    expect(sign('script.php', post(form), 'mypasskey')).toBe('a8a4d5a9188f24038a14a4d65c387bf7');
  });

  it('POST /_paybox_/result with the example body signs over result;15.00;123;abc;999;1;aaaa;secret', () => {
    const body = 'pg_merchant_id=123&pg_payment_id=999&pg_order_id=abc&pg_result=1&pg_amount=15.00&pg_salt=aaaa';
    expect(md5('result;15.00;123;abc;999;1;aaaa;secret')).toBe('7e41d7eb3a1520a45fd057281cc0797a');
    const message = post(body);
    expect(sign(scriptName(message.url), message, 'secret')).toBe('7e41d7eb3a1520a45fd057281cc0797a');
    // pg_sig itself is never signed, wherever it stands.
    expect(sign('result', post(`pg_sig=0123&${body}`), 'secret')).toBe('7e41d7eb3a1520a45fd057281cc0797a');
  });

  it('the accepted answer to it is these bytes, signed over result;accepted;aaaa;ok;secret', () => {
    expect(answerSignature('result', 'accepted', 'aaaa', 'ok', 'secret')).toBe('1d803ea01face4bb3adcc17cc6be5760');
    expect(renderAnswer({ script: 'result', status: 'ok', description: 'accepted', salt: 'aaaa', secret: 'secret' })).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n' +
        '<response><pg_salt>aaaa</pg_salt><pg_status>ok</pg_status><pg_description>accepted</pg_description>' +
        '<pg_sig>1d803ea01face4bb3adcc17cc6be5760</pg_sig></response>',
    );
  });
});

describe('the script name', () => {
  it.each([
    ['/_paybox_/result', 'result'],
    ['/_paybox_/check?pg_salt=x', 'check'],
    ['/gateway/payrelay/_paybox_/refund', 'refund'],
    ['/_paybox_/', ''],
    ['/payment.php?a=b/c', 'payment.php'],
  ])('of %s is "%s"', (url, script) => expect(scriptName(url)).toBe(script));

  it('is part of what is signed: the same fields for another script sign differently', () => {
    const body = 'pg_order_id=1&pg_salt=s';
    expect(sign('check', post(body), 'k')).toBe(md5('check;1;s;k'));
    expect(sign('result', post(body), 'k')).toBe(md5('result;1;s;k'));
  });
});

describe('the order of values', () => {
  it('is the names’ byte order: capitals before small letters, UTF-8 bytes for the rest', () => {
    const body = `b=2&a=1&Z=0&${encodeURIComponent('я')}=4&${encodeURIComponent('é')}=3&a_=1.5`;
    expect(sign('s', post(body), 'k')).toBe(md5('s;0;1;1.5;2;3;4;k'));
    expect(sign('s', post(body), 'k')).toBe(phpSignature('s', flat({ b: '2', a: '1', Z: '0', я: '4', é: '3', a_: '1.5' }), 'k'));
  });

  it('keeps empty values and signs the salt and the merchant’s own fields with the rest', () => {
    expect(sign('result', post('pg_a=&pg_salt=s&order_note=x&pg_b='), 'k')).toBe(md5('result;x;;;s;k'));
  });

  it('in a nested message names each leaf by parent, name and position: pg_sig counts, and is left out', () => {
    const body = 'pg_sig=x&b[c]=1&b[a]=2&a=3';
    // Flat names: b002c001 → 1, b002a002 → 2, a003 → 3; sorted: a003, b002a002, b002c001.
    expect(sign('s', post(body), 'k')).toBe(md5('s;3;2;1;k'));
    const fields: PhpFields = [
      ['pg_sig', 'x'],
      [
        'b',
        [
          ['c', '1'],
          ['a', '2'],
        ],
      ],
      ['a', '3'],
    ];
    expect(phpSignatureString('s', fields, 'k')).toBe('s;3;2;1;k');
  });

  it('in a nested form numbers `a[]` from 0, as PHP does', () => {
    expect(sign('s', post('x[]=first&x[]=second&x[5]=third&x[]=fourth'), 'k')).toBe(
      phpSignature(
        's',
        [
          [
            'x',
            [
              ['0', 'first'],
              ['1', 'second'],
              ['5', 'third'],
              ['6', 'fourth'],
            ],
          ],
        ],
        'k',
      ),
    );
  });

  it('signs the bytes as sent: a value in Windows-1251 is hashed as those bytes', () => {
    const message = { ...post(''), body: Buffer.from('pg_description=%C0%E1&pg_salt=s'), charset: 'windows-1251' };
    const expected = Buffer.concat([Buffer.from('s;'), Buffer.from([0xc0, 0xe1]), Buffer.from(';s;k')]);
    expect(sign('s', message, 'k')).toBe(createHash('md5').update(expected).digest('hex'));
    expect(fieldsOf(message).text('pg_description')).toBe('Аб');
  });
});

describe('comparing signatures', () => {
  const right = md5('x');
  it('takes only the exact lower-case hex', () => {
    expect(signatureMatches(right, right)).toBe(true);
    expect(signatureMatches(right.toUpperCase(), right)).toBe(false);
    expect(signatureMatches(`${right} `, right)).toBe(false);
    expect(signatureMatches(right.slice(1), right)).toBe(false);
    expect(signatureMatches('', right)).toBe(false);
    expect(signatureMatches(undefined, right)).toBe(false);
    expect(signatureMatches('é'.repeat(16), right)).toBe(false);
  });
});

/** Field names as FreedomPay and merchants make them: pg_ fields, custom ones, any text. */
const fieldName = fc.oneof(
  fc.constantFrom('pg_amount', 'pg_order_id', 'pg_payment_id', 'pg_salt', 'pg_result', 'pg_card_pan', 'pg_param1', 'pg_param10'),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
  fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }).filter((name) => !/[[\]\0]/.test(name)),
);
const fieldValue = fc.string({ maxLength: 24, unit: 'grapheme' }).filter((value) => !value.includes('\0'));
const flatFields = fc.uniqueArray(fc.tuple(fieldName, fieldValue), {
  selector: ([name]) => name,
  maxLength: 12,
});

describe('against the independent computation, for any fields', () => {
  it('a form signs as the documentation says', () => {
    fc.assert(
      fc.property(flatFields, fc.constantFrom('result', 'check', 'refund', 'capture'), (fields, script) => {
        const body = fields.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
        expect(sign(script, post(body), 'secret-ключ')).toBe(phpSignature(script, fields, 'secret-ключ'));
      }),
    );
  });

  it('signText (the page’s and the simulator’s) signs as the documentation says', () => {
    fc.assert(
      fc.property(flatFields, (fields) => {
        expect(signText('payment.php', Object.fromEntries(fields), 'k')).toBe(phpSignature('payment.php', fields, 'k'));
      }),
    );
  });

  it('a nested message signs with PHP’s flattening, as XML and as a bracketed form', () => {
    const leafName = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
    const group = fc.uniqueArray(
      fc.tuple(
        leafName,
        fc.string({ maxLength: 10 }).filter((v) => !/[\0-\x1f]/.test(v)),
      ),
      {
        selector: ([name]) => name,
        minLength: 1,
        maxLength: 4,
      },
    );
    const tree = fc.uniqueArray(
      fc.tuple(
        leafName,
        fc.oneof(
          fc.string({ maxLength: 10 }).filter((v) => !/[\0-\x1f]/.test(v)),
          group,
        ),
      ),
      {
        selector: ([name]) => name,
        minLength: 1,
        maxLength: 6,
      },
    );
    fc.assert(
      fc.property(tree, (fields) => {
        const expected = phpSignature('result', fields as PhpFields, 'k');
        const form = fields
          .flatMap(([name, value]) =>
            typeof value === 'string'
              ? [`${name}=${encodeURIComponent(value)}`]
              : value.map(([inner, text]) => `${name}%5B${inner}%5D=${encodeURIComponent(text)}`),
          )
          .join('&');
        expect(sign('result', post(form), 'k')).toBe(expected);
        const escapeText = (text: string) =>
          text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
        const element = ([name, value]: [string, string | [string, string][]]): string =>
          typeof value === 'string'
            ? `<${name}>${escapeText(value)}</${name}>`
            : `<${name}>${value.map(element).join('')}</${name}>`;
        const xml = `<request>${fields.map(element).join('')}</request>`;
        expect(sign('result', post(xml, 'application/xml'), 'k')).toBe(expected);
      }),
    );
  });
});
