/**
 * Every body format FreedomPay may use, from the bytes it sends: the same fields whichever way
 * they travel, each value exactly as sent or the message refused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from '../types.js';
import { buildTree, formFields } from './form.js';
import { type Fields, readFields } from './message.js';

type Init = Partial<Omit<IncomingMessage, 'body' | 'query'>> & { body?: Buffer | string; query?: Buffer | string };

function message(init: Init): IncomingMessage {
  const { body = '', query = '', ...rest } = init;
  return {
    method: 'POST',
    path: '/result',
    url: '/_paybox_/result',
    contentType: 'application/x-www-form-urlencoded',
    charset: 'utf-8',
    headers: {},
    ip: '127.0.0.1',
    ...rest,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    query: typeof query === 'string' ? Buffer.from(query, 'latin1') : query,
  };
}

const form = (body: string | Buffer, charset = 'utf-8') => message({ body, charset });
const xml = (body: string | Buffer, contentType = 'text/xml') => message({ body, contentType });

function fieldsOf(init: IncomingMessage): Fields {
  const read = readFields(init);
  if (!('fields' in read)) throw new Error(read.problem);
  return read.fields;
}

function problemOf(init: IncomingMessage): string {
  const read = readFields(init);
  if (!('problem' in read)) throw new Error(`read, though it should not be: ${JSON.stringify(read.fields.payload())}`);
  return read.problem;
}

/** The top-level fields as text, in their order. */
const texts = (init: IncomingMessage) => JSON.parse(JSON.stringify(fieldsOf(init).payload())) as Record<string, unknown>;

const RESULT = { pg_order_id: 'A-42', pg_payment_id: '999', pg_amount: '15.00', pg_result: '1', pg_salt: 'aaaa' };
const RESULT_FORM = new URLSearchParams(RESULT).toString();

function multipart(fields: [string, string][], boundary = 'XyZ', extra = ''): IncomingMessage {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return message({
    body: `${parts.join('')}${extra}--${boundary}--\r\n`,
    contentType: `multipart/form-data; boundary=${boundary}`,
  });
}

const xmlOf = (fields: Record<string, string>) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<request>${Object.entries(fields)
    .map(([name, value]) => `<${name}>${value}</${name}>`)
    .join('')}</request>`;

describe('every format carries the same fields', () => {
  it.each([
    ['a form body', form(RESULT_FORM), 'form'],
    ['a GET query', message({ method: 'GET', query: RESULT_FORM, contentType: '' }), 'query'],
    ['multipart/form-data', multipart(Object.entries(RESULT)), 'multipart'],
    ['a form field pg_xml', form(new URLSearchParams({ pg_xml: xmlOf(RESULT) }).toString()), 'pg_xml'],
    ['pg_xml in multipart', multipart([['pg_xml', xmlOf(RESULT)]]), 'pg_xml'],
    ['a raw XML body', xml(xmlOf(RESULT)), 'xml'],
    ['a raw XML body sent as a form', xml(xmlOf(RESULT), ''), 'xml'],
    ['a raw XML body as application/xml', xml(xmlOf(RESULT), 'application/xml; charset=utf-8'), 'xml'],
  ])('%s', (_, init, format) => {
    expect(texts(init)).toEqual(RESULT);
    expect(fieldsOf(init).format).toBe(format);
  });

  it('a POST is its body: its query string is not part of the message', () => {
    const init = message({ body: 'pg_order_id=1', query: 'pg_order_id=2&pg_extra=x' });
    expect(texts(init)).toEqual({ pg_order_id: '1' });
  });

  it('for any fields and values, exactly as sent, whichever format', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
    // XML has no place for most control characters; everything else may be in any value.
    const value = fc
      .string({ maxLength: 20, unit: 'grapheme' })
      .filter((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(v));
    const fields = fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, minLength: 1, maxLength: 10 });
    const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\r/g, '&#13;');
    fc.assert(
      fc.property(fields, (pairs) => {
        const record = Object.fromEntries(pairs);
        const encoded = pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&');
        const document = `<request>${pairs.map(([n, v]) => `<${n}>${escapeText(v)}</${n}>`).join('\n')}</request>`;
        const boundary = 'b0undary-c8f3';
        for (const init of [
          form(encoded),
          form(new URLSearchParams(record).toString()),
          message({ method: 'GET', query: encoded }),
          multipart(pairs, boundary),
          form(`pg_xml=${encodeURIComponent(document)}`),
          xml(document),
        ]) {
          expect(texts(init)).toEqual(record);
        }
      }),
    );
  });
});

describe('a form', () => {
  it('keeps values as sent: spaces, "+" as a space, control characters, an empty value, a name without "="', () => {
    expect(texts(form('a=+x+&b=%20y%09&c=%01&d=&e&f=%2B'))).toEqual({ a: ' x ', b: ' y\t', c: '\u0001', d: '', e: '', f: '+' });
  });

  it('reads UTF-8, or the charset the message names', () => {
    expect(texts(form('a=%D1%8F'))).toEqual({ a: 'я' });
    expect(texts(form('a=%FF', 'windows-1251'))).toEqual({ a: 'я' });
  });

  it('takes a field repeated with the same value as one, and skips empty pairs', () => {
    expect(texts(form('&&a=1&a=1&&b=2&'))).toEqual({ a: '1', b: '2' });
  });

  it.each([
    ['a field twice with different values', 'a=1&a=2'],
    ['bytes UTF-8 cannot read', 'a=%FF'],
    ['a NUL in a value', 'a=x%00y'],
    ['a NUL in a name', 'a%00=1'],
    ['a name that is empty', '=1'],
    ['an unclosed bracket', 'a[b=1'],
    ['text after a bracket', 'a[b]c=1'],
    ['a bracket with no name before it', '[a]=1'],
    ['a name that is a value and a group', 'a=1&a[b]=2'],
    ['a group that is then a value', 'a[b]=1&a=2'],
    ['nesting deeper than 16', `a${'[x]'.repeat(16)}=1`],
  ])('refuses %s', (_, body) => {
    expect(problemOf(form(body))).toBeTruthy();
  });

  it('nests a[b][c] and a[] as PHP does', () => {
    expect(texts(form('a[b][c]=1&a[b][d]=2&l[]=x&l[]=y&l[7]=z&l[]=w'))).toEqual({
      a: { b: { c: '1', d: '2' } },
      l: { 0: 'x', 1: 'y', 7: 'z', 8: 'w' },
    });
  });

  it('keeps a field named __proto__ as a field', () => {
    const payload = fieldsOf(form('__proto__=1&a=2')).payload();
    expect(Object.keys(payload)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(payload)).toBe('{"__proto__":"1","a":"2"}');
  });
});

describe('the reading of a form', () => {
  it('takes the same fields from any bytes as when each name and value is checked alone', () => {
    // The form's ASCII is known from the whole body once: escapes of high bytes, high bytes, NULs, brackets.
    const piece = fc.constantFrom(...'ab=&+%89Ff0[]\u00d0\u00ff', '%00', '%D0%AF');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.constantFrom('utf-8', 'windows-1251'), (pieces, charset) => {
        const body = Buffer.from(pieces.join(''), 'latin1');
        const alone = formFields(body).map(({ ascii: _, ...field }) => field);
        expect(buildTree(formFields(body), charset)).toEqual(buildTree(alone, charset));
      }),
    );
  });

  it('decodes each pair as the plain definition does, however the body is escaped', () => {
    // `+` a space, `%XX` the byte XX, anything else itself: pair by pair, after the split.
    const plain = (part: string) =>
      part.replaceAll('+', ' ').replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    const piece = fc.constantFrom(...'ab=&+%u2', '%26', '%3D', '%3d', '%25', '%2B', '%u0041', '%41', '%zz', '%D0%AF');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const body = pieces.join('');
        const expected = body
          .split('&')
          .filter((pair) => pair !== '')
          .map((pair) => {
            const equals = pair.indexOf('=');
            return equals < 0 ? [plain(pair), ''] : [plain(pair.slice(0, equals)), plain(pair.slice(equals + 1))];
          });
        expect(formFields(Buffer.from(body, 'latin1')).map(({ name, value }) => [name, value])).toEqual(expected);
      }),
    );
  });
});

describe('the payload as JSON text', () => {
  const same = (fields: Fields) => expect(JSON.parse(fields.payloadJson())).toEqual(JSON.parse(JSON.stringify(fields.payload())));

  it('holds what the payload holds, for any fields and values', () => {
    const name = fc.string({ maxLength: 8, unit: 'grapheme' }).filter((n) => n !== '' && !/[[\]&=+%\u0000]/.test(n));
    const value = fc.string({ maxLength: 20, unit: 'grapheme' }).filter((v) => !v.includes('\u0000'));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 10 }), (pairs) => {
        const body = pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join('&');
        const read = readFields(form(body));
        if ('fields' in read) same(read.fields);
      }),
    );
  });

  it('leaves out the signature and keeps groups and repeated elements', () => {
    const flat = fieldsOf(form('pg_sig=x&a=%22q%22%5C&b=%01'));
    expect(flat.payloadJson()).toBe('{"a":"\\"q\\"\\\\","b":"\\u0001"}');
    same(fieldsOf(form('a[b]=1&a[c]=2&d=3')));
    same(fieldsOf(xml('<request><a>1</a><a>2</a><b><c>3</c></b></request>')));
    expect(problemOf(xml('<request><a>&#xD800;</a></request>'))).toMatch(/character reference/);
  });
});

describe('pg_xml', () => {
  it('must be the only field', () => {
    expect(problemOf(form(`pg_xml=${encodeURIComponent(xmlOf(RESULT))}&pg_sig=x`))).toMatch(/only field/);
    expect(problemOf(form('pg_xml[a]=1'))).toMatch(/only field/);
  });
});

describe('XML', () => {
  it('resolves references and CDATA, ignores attributes, comments and the space between elements', () => {
    const document = `<?xml version="1.0"?>
<!-- FreedomPay -->
<request id="1">
  <a>&amp;&lt;&gt;&quot;&apos;&#1103;&#x44F;</a>
  <b><![CDATA[<raw> & ]]>tail</b>
  <c attr='x &amp; y'>x<!-- note -->y</c>
  <d/>
  <e>  </e>
</request>
<!-- end -->`;
    expect(texts(xml(document))).toEqual({ a: '&<>"\'яя', b: '<raw> & tail', c: 'xy', d: '', e: '  ' });
  });

  it('reads line ends as XML does: CR LF and CR are LF, a &#13; stays a CR', () => {
    expect(texts(xml('<request><a>1\r\n2\r3&#13;</a></request>'))).toEqual({ a: '1\n2\n3\r' });
  });

  it('nests elements with children and keeps a repeated element as a list', () => {
    const fields = fieldsOf(xml('<request><items><item>1</item><item>2</item></items><x>3</x></request>'));
    expect(JSON.parse(JSON.stringify(fields.payload()))).toEqual({ items: { item: ['1', '2'] }, x: '3' });
    expect(fields.get('items')).toEqual({ problem: 'nested' });
  });

  it('takes a top-level element repeated with the same text as one value, with other text as none', () => {
    const fields = fieldsOf(xml('<request><a>1</a><a>1</a><b>1</b><b>2</b></request>'));
    expect(fields.get('a')).toEqual({ text: '1' });
    expect(fields.get('b')).toEqual({ problem: 'twice' });
  });

  it('reads the charset of the Content-Type, else the declaration’s, else UTF-8; with a byte-order mark', () => {
    const cp1251 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="windows-1251"?><request><a>'),
      Buffer.from([0xff]),
      Buffer.from('</a></request>'),
    ]);
    expect(texts(xml(cp1251))).toEqual({ a: 'я' });
    expect(problemOf(xml(cp1251, 'text/xml; charset=utf-8'))).toMatch(/utf-8/);
    expect(texts(xml(`\uFEFF${xmlOf({ a: 'я' })}`))).toEqual({ a: 'я' });
  });

  it('takes an empty request', () => {
    expect(texts(xml('<request/>'))).toEqual({});
    expect(texts(xml('<request>\n</request>'))).toEqual({});
  });

  it.each([
    ['a DOCTYPE (entity expansion)', '<!DOCTYPE request [<!ENTITY x "y">]><request><a>&x;</a></request>'],
    ['an unknown entity', '<request><a>&x;</a></request>'],
    ['a bare &', '<request><a>a & b</a></request>'],
    ['a processing instruction', '<request><?php echo 1; ?><a>1</a></request>'],
    ['text beside elements', '<request>text<a>1</a></request>'],
    ['an unclosed element', '<request><a>1</request>'],
    ['a mismatched end tag', '<request><a>1</b></request>'],
    ['another root', '<response><a>1</a></response>'],
    ['content after the root', '<request/><request/>'],
    ['text at the root', '<request>1</request>'],
    ['a control character', '<request><a>\u0001</a></request>'],
    ['a reference to NUL', '<request><a>&#0;</a></request>'],
    ['a reference to a lone surrogate', '<request><a>&#xD800;</a></request>'],
    ['an unclosed CDATA', '<request><a><![CDATA[x</a></request>'],
    ['an unclosed comment', '<request><!-- x </request>'],
    ['nesting deeper than 16', `<request>${'<x>'.repeat(18)}1${'</x>'.repeat(18)}</request>`],
    ['no element at all', '   '],
  ])('refuses %s', (_, document) => {
    expect(problemOf(xml(document))).toBeTruthy();
  });

  it('refuses bytes its charset cannot read', () => {
    expect(
      problemOf(xml(Buffer.concat([Buffer.from('<request><a>'), Buffer.from([0xc3, 0x28]), Buffer.from('</a></request>')]))),
    ).toMatch(/utf-8/);
  });
});

describe('multipart/form-data', () => {
  it('reads a preamble, an epilogue, a quoted name with an escaped quote and a part’s own charset', () => {
    const body =
      'preamble\r\n--B\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\n1\r\n' +
      '--B\r\ncontent-disposition: form-data; name=plain\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n\xff\r\n' +
      '--B\r\nContent-Disposition: form-data; name="empty"\r\n\r\n\r\n' +
      '--B--\r\nepilogue';
    const init = message({ body: Buffer.from(body, 'latin1'), contentType: 'multipart/form-data; boundary="B"' });
    expect(texts(init)).toEqual({ 'a"b': '1', plain: 'я', empty: '' });
  });

  it('keeps a value’s own line ends and dashes', () => {
    expect(texts(multipart([['a', 'x\r\n--not-the-boundary\r\ny']], 'B'))).toEqual({ a: 'x\r\n--not-the-boundary\r\ny' });
  });

  it('nests bracketed names as a form does', () => {
    expect(
      texts(
        multipart([
          ['a[b]', '1'],
          ['a[c]', '2'],
        ]),
      ),
    ).toEqual({ a: { b: '1', c: '2' } });
  });

  it.each([
    [
      'no boundary in the Content-Type',
      'multipart/form-data',
      '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--',
    ],
    ['no boundary line', 'multipart/form-data; boundary=B', 'a=1'],
    ['a body that never closes', 'multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1'],
    ['a part without a name', 'multipart/form-data; boundary=B', '--B\r\nContent-Disposition: form-data\r\n\r\n1\r\n--B--'],
    ['a part without a disposition', 'multipart/form-data; boundary=B', '--B\r\nContent-Type: text/plain\r\n\r\n1\r\n--B--'],
    [
      'a file',
      'multipart/form-data; boundary=B',
      '--B\r\nContent-Disposition: form-data; name="a"; filename="x.txt"\r\n\r\n1\r\n--B--',
    ],
    [
      'another disposition',
      'multipart/form-data; boundary=B',
      '--B\r\nContent-Disposition: attachment; name="a"\r\n\r\n1\r\n--B--',
    ],
    [
      'a transfer encoding',
      'multipart/form-data; boundary=B',
      '--B\r\nContent-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\nMQ==\r\n--B--',
    ],
    ['bare LF line ends', 'multipart/form-data; boundary=B', '--B\nContent-Disposition: form-data; name="a"\n\n1\n--B--'],
    [
      'a folded header',
      'multipart/form-data; boundary=B',
      '--B\r\nContent-Disposition: form-data;\r\n name="a"\r\n\r\n1\r\n--B--',
    ],
    [
      'the same field with other values',
      'multipart/form-data; boundary=B',
      '--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n2\r\n--B--',
    ],
  ])('refuses %s', (_, contentType, body) => {
    expect(problemOf(message({ body, contentType }))).toBeTruthy();
  });
});
