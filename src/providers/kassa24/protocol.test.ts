/**
 * Reading a Kassa24 request from the bytes a terminal sends, and writing the answer's bytes: the
 * examples of docs/providers/kassa24.md, and properties over generated values (fast-check) checked
 * against computations of their own (the calendar through Date.UTC, amounts through integers).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormParams } from '../kit/params.js';
import { Code, isRealDate, type Parsed, parseRequest, renderAnswer } from './protocol.js';

const parse = (query: string, body?: string, charset = 'utf-8'): Parsed =>
  parseRequest(
    new FormParams(Buffer.from(query, 'latin1'), body === undefined ? undefined : Buffer.from(body, 'latin1'), charset),
  );
const codeOf = (parsed: Parsed) => ('refusal' in parsed ? parsed.refusal.code : Code.ok);

describe('answers, byte for byte', () => {
  const UTF8 = '<?xml version="1.0" encoding="UTF-8"?>';
  it.each([
    [{ code: 0, message: 'OK' }, '<response><code>0</code><message>OK</message></response>'],
    [{ code: 2, message: 'Subscriber not found' }, '<response><code>2</code><message>Subscriber not found</message></response>'],
    [
      { code: 0, message: 'OK', date: '2024-08-03T15:53:01', authcode: '7' },
      '<response><code>0</code><message>OK</message><date>2024-08-03T15:53:01</date><authcode>7</authcode></response>',
    ],
    [{ code: 4, message: 'Wrong receipt' }, '<response><code>4</code><message>Wrong receipt</message></response>'],
    [
      { code: 0, message: 'Cancelled', authcode: '7' },
      '<response><code>0</code><message>Cancelled</message><authcode>7</authcode></response>',
    ],
    [
      { code: 7, message: 'Payment cancelled', date: '2024-08-03T15:53:01', authcode: '7' },
      '<response><code>7</code><message>Payment cancelled</message><date>2024-08-03T15:53:01</date><authcode>7</authcode></response>',
    ],
    [
      { code: 8, message: 'Temporary error, retry' },
      '<response><code>8</code><message>Temporary error, retry</message></response>',
    ],
  ])('%o', (answer, body) => {
    expect(renderAnswer(answer, 'utf-8')).toBe(`${UTF8}${body}`);
  });

  it('declares Windows-1251 when the deployment reads it', () => {
    expect(renderAnswer({ code: 0, message: 'OK' }, 'windows-1251')).toBe(
      '<?xml version="1.0" encoding="windows-1251"?><response><code>0</code><message>OK</message></response>',
    );
  });

  it('escapes markup in a message', () => {
    expect(renderAnswer({ code: 10, message: 'a<b & "c"' }, 'utf-8')).toContain('<message>a&lt;b &amp; &quot;c&quot;</message>');
  });
});

describe('requests from the examples', () => {
  it('a check needs only the number', () => {
    expect(parse('action=check&number=100234')).toEqual({ request: { action: 'check', number: '100234' } });
  });

  it('a payment with every field', () => {
    expect(
      parse('action=payment&number=100234&amount=1500.00&receipt=105512&date=2024-08-03T15:53:00&type=1&commission=50.00'),
    ).toEqual({
      request: {
        action: 'payment',
        number: '100234',
        amount: '1500.00',
        receipt: '105512',
        date: '2024-08-03T15:53:00',
        type: '1',
        commission: '50.00',
      },
    });
  });

  it('status and cancel by receipt', () => {
    expect(parse('action=status&receipt=105512')).toEqual({ request: { action: 'status', receipt: '105512' } });
    expect(parse('action=cancel&receipt=105512&mes=2')).toEqual({ request: { action: 'cancel', receipt: '105512', mes: '2' } });
    expect(parse('action=cancel&receipt=105512')).toEqual({ request: { action: 'cancel', receipt: '105512' } });
  });

  it('a form body merged with the query', () => {
    expect(parse('action=status', 'receipt=1')).toEqual({ request: { action: 'status', receipt: '1' } });
  });

  it('Windows-1251 bytes read in that charset, and refused as UTF-8', () => {
    expect(parse('action=check&number=%C8%E2%E0%ED', undefined, 'windows-1251')).toEqual({
      request: { action: 'check', number: 'Иван' },
    });
    expect(codeOf(parse('action=check&number=%C8%E2%E0%ED'))).toBe(Code.subscriberNotFound);
  });

  it('a refusal names the action it could read, for the metrics', () => {
    expect(parse('action=payment&number=1&receipt=1')).toMatchObject({ refusal: { code: Code.wrongAmount }, action: 'payment' });
    expect(parse('action=nope')).toEqual({ refusal: { code: Code.unknownAction, message: 'Unknown action' }, action: undefined });
  });
});

/** Printable text a customer may type: letters, digits, punctuation, Cyrillic, spaces inside. */
const typed = fc
  .string({ unit: fc.constantFrom(...'0123456789 -+#/?&=%.,_АБВЖЯабвжяQWxyz€'.split('')), minLength: 1, maxLength: 200 })
  .filter((text) => text.trim() !== '');

describe('properties', () => {
  it('any number a customer types is taken verbatim, in a check and a payment', () => {
    fc.assert(
      fc.property(typed, (number) => {
        const escaped = encodeURIComponent(number);
        expect(parse(`action=check&number=${escaped}`)).toEqual({ request: { action: 'check', number } });
        const paid = parse(`action=payment&number=${escaped}&amount=1&receipt=1`);
        expect('request' in paid && paid.request.action === 'payment' && paid.request.number).toBe(number);
      }),
    );
  });

  it('a number with any control character is refused with code 2', () => {
    const control = fc.integer({ min: 0, max: 0x9f }).filter((c) => c < 0x20 || c >= 0x7f);
    fc.assert(
      fc.property(typed, control, fc.nat(), (number, c, at) => {
        const chars = [...number];
        chars.splice(at % (chars.length + 1), 0, String.fromCharCode(c));
        expect(codeOf(parse(`action=check&number=${encodeURIComponent(chars.join(''))}`))).toBe(Code.subscriberNotFound);
      }),
    );
  });

  it('an amount of whole cents, written with two, one or no decimals, is that many cents exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 14n - 1n }), fc.constantFrom(0, 1, 2), (cents, decimals) => {
        const whole = cents / 100n;
        const fraction = (cents % 100n).toString().padStart(2, '0');
        if (decimals < 2 && fraction.slice(decimals).replace(/0/g, '') !== '') return; // not writable with fewer places
        const written = decimals === 0 ? `${whole}` : `${whole}.${fraction.slice(0, decimals)}`;
        const parsed = parse(`action=payment&number=1&amount=${written}&receipt=1`);
        expect(parsed).toMatchObject({ request: { amount: `${whole}.${fraction}` } });
      }),
    );
  });

  it('an amount in any other shape is code 3', () => {
    const shape = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789.,-+eE '.split('')), maxLength: 8 }),
      fc.double().map(String),
    );
    fc.assert(
      fc.property(shape, (amount) => {
        fc.pre(!/^\d+(\.\d{1,2})?$/.test(amount));
        expect(codeOf(parse(`action=payment&number=1&amount=${encodeURIComponent(amount)}&receipt=1`))).toBe(Code.wrongAmount);
      }),
    );
  });

  it('a receipt is 1 to 20 ASCII digits, kept as text; anything else is code 4', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 20 }), (receipt) => {
        expect(parse(`action=status&receipt=${receipt}`)).toEqual({ request: { action: 'status', receipt } });
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 24 }), (receipt) => {
        fc.pre(!/^[0-9]{1,20}$/.test(receipt));
        expect(codeOf(parse(`action=cancel&receipt=${encodeURIComponent(receipt.toWellFormed())}`))).toBe(Code.wrongReceipt);
      }),
    );
  });

  it('a date is real exactly when the calendar has that second (Date.UTC says)', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 0, max: 13 }),
          fc.integer({ min: 0, max: 32 }),
          fc.integer({ min: 0, max: 25 }),
          fc.integer({ min: 0, max: 61 }),
          fc.integer({ min: 0, max: 61 }),
        ),
        ([year, month, day, hour, minute, second]) => {
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
          const instant = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
          instant.setUTCFullYear(year, month - 1, day);
          const exists =
            year >= 1 &&
            instant.getUTCFullYear() === year &&
            instant.getUTCMonth() === month - 1 &&
            instant.getUTCDate() === day &&
            instant.getUTCHours() === hour &&
            instant.getUTCMinutes() === minute &&
            instant.getUTCSeconds() === second;
          expect(isRealDate(text)).toBe(exists);
          const parsed = parse(`action=payment&number=1&amount=1&receipt=1&date=${text}`);
          expect(codeOf(parsed)).toBe(exists ? Code.ok : Code.wrongDate);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('every real second of the calendar is a real date', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          expect(isRealDate(d.toISOString().slice(0, 19))).toBe(true);
        },
      ),
    );
  });

  it('a parameter the action reads, given twice differently, is code 10 whatever its values', () => {
    const names = fc.constantFrom('action', 'number', 'amount', 'receipt', 'date', 'type', 'commission');
    fc.assert(
      fc.property(names, fc.string({ minLength: 1, maxLength: 5 }), (name, other) => {
        const query = 'action=payment&number=1&amount=1.00&receipt=5&date=2024-08-03T15:53:00&type=1&commission=0';
        const current = new URLSearchParams(query).get(name)!;
        fc.pre(other !== current);
        const parsed = parse(`${query}&${name}=${encodeURIComponent(other)}`);
        // Which action it was cannot be told when the action itself came twice.
        const action = name === 'action' ? undefined : 'payment';
        expect(parsed).toEqual({ refusal: { code: Code.other, message: `Parameter ${name} given twice` }, action });
      }),
    );
  });

  it('whatever bytes arrive, the answer is a request or a refusal with a code a request can earn, never a throw', () => {
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('check', 'payment', 'status', 'cancel'));
    const name = fc.constantFrom('action', 'number', 'amount', 'receipt', 'date', 'type', 'commission', 'mes', 'sign', '%00');
    const escaped = (text: string) => encodeURIComponent(text.toWellFormed()).replace(/%EF%BF%BD/g, '%FF');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, value), { maxLength: 8 }),
        fc.constantFrom('utf-8', 'windows-1251'),
        (pairs, charset) => {
          const parsed = parse(pairs.map(([n, v]) => `${n}=${escaped(v)}`).join('&'), undefined, charset);
          if ('refusal' in parsed) expect([1, 2, 3, 4, 5, 10]).toContain(parsed.refusal.code);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('parameters no action reads change nothing', () => {
    const extra = fc.array(
      fc.tuple(fc.constantFrom('sign', 'additional', 'prv_id', 'x'), fc.string({ unit: 'binary', maxLength: 8 })),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(extra, (pairs) => {
        const base = 'action=payment&number=1&amount=1.00&receipt=5';
        const more = pairs.map(([n, v]) => `&${n}=${encodeURIComponent(v.toWellFormed())}`).join('');
        expect(parse(`${base}${more}`)).toEqual(parse(base));
      }),
    );
  });
});
