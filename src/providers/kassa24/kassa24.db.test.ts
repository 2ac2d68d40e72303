/**
 * The network's examples (docs/providers/kassa24.md), byte for byte, in their order: the backend
 * knows number 100234 and not 999999. The date and authcode an answer repeats are the stored
 * payment's, computed here from its row, independently of the gateway's formatting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { type Receiver, startReceiver } from '../../../test/helpers/receiver.js';

const TIME_ZONE = 'Asia/Almaty';
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const USER = 'kassa24';
const PASSWORD = 'terminal pass:word';
const AUTHORIZATION = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const PAY = 'action=payment&number=100234&amount=1500.00&receipt=105512&date=2024-08-03T15:53:00&type=1&commission=50.00';

let backend: Receiver;
let gateway: TestGateway;
beforeAll(async () => {
  backend = await startReceiver((request) =>
    new URL(request.url, 'http://backend').searchParams.get('account') === '100234' ? { status: 200 } : { status: 404 },
  );
  gateway = await startTestGateway({
    PROVIDERS: 'kassa24',
    MS_TIMEZONE: TIME_ZONE,
    KASSA24_CHECK_URL: `${backend.url}/check?token=t`,
    KASSA24_HTTP_AUTH_USERNAME: USER,
    KASSA24_HTTP_AUTH_PASSWORD: PASSWORD,
  });
});
afterAll(async () => {
  await gateway.close();
  await backend.close();
});

const get = (query: string) =>
  gateway.app.inject({ url: `/_kassa24_/payment?${query}`, headers: { authorization: AUTHORIZATION } });
const xml = (inner: string) => `${DECLARATION}<response>${inner}</response>`;

interface Row {
  id: string;
  account: string;
  code: string;
  sum: string;
  created_at: Date;
  network_date: string | null;
  type: string | null;
  commission: string | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
}
const rows = () =>
  gateway.db.query<Row & Record<string, unknown>>(
    `SELECT id::text AS id, account, code, sum::text AS sum, created_at, network_date, type, commission, cancelled_at, cancel_reason
     FROM ${gateway.db.table('kassa24_transaction')} ORDER BY id`,
  );
/** The row's created_at on the wall clock of TIME_ZONE, `YYYY-MM-DDTHH:MM:SS` (Sweden's locale writes ISO dates). */
const wallClock = (at: Date) => new Date(at).toLocaleString('sv-SE', { timeZone: TIME_ZONE }).replace(' ', 'T');

describe('the examples', () => {
  let date: string;
  let authcode: string;

  it('check 100234: the backend knows it', async () => {
    const response = await get('action=check&number=100234');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.rawPayload.subarray(0, 5).toString('latin1')).toBe('<?xml');
    expect(response.body).toBe(xml('<code>0</code><message>OK</message>'));
    const asked = new URL(backend.received.at(-1)!.url, backend.url);
    expect([asked.pathname, asked.searchParams.get('token'), asked.searchParams.get('account')]).toEqual([
      '/check',
      't',
      '100234',
    ]);
  });

  it('check 999999: subscriber not found', async () => {
    const response = await get('action=check&number=999999');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml('<code>2</code><message>Subscriber not found</message>'));
    expect(await rows()).toEqual([]);
  });

  it('payment: recorded, answered with the date it was committed and its authcode; the backend is not asked', async () => {
    const asked = backend.received.length;
    const before = Date.now();
    const response = await get(PAY);
    expect(response.statusCode).toBe(200);
    const [row] = await rows();
    expect(row).toMatchObject({
      account: '100234',
      code: '105512',
      sum: '1500.00',
      network_date: '2024-08-03T15:53:00',
      type: '1',
      commission: '50.00',
      cancelled_at: null,
    });
    date = wallClock(row!.created_at);
    authcode = row!.id;
    expect(response.body).toBe(xml(`<code>0</code><message>OK</message><date>${date}</date><authcode>${authcode}</authcode>`));
    // The wall clock of Almaty, hours ahead of UTC, and of the moment of the pay.
    expect(date).not.toBe(new Date(row!.created_at).toISOString().slice(0, 19));
    expect(Math.abs(Date.parse(`${date}Z`) - Date.parse(`${wallClock(new Date(before))}Z`))).toBeLessThan(60_000);
    expect(backend.received.length).toBe(asked);
  });

  it('the same request again: the same bytes, no second row', async () => {
    const response = await get(PAY);
    expect(response.body).toBe(xml(`<code>0</code><message>OK</message><date>${date}</date><authcode>${authcode}</authcode>`));
    expect(await rows()).toHaveLength(1);
  });

  it('the same receipt with another number: wrong receipt, nothing changed', async () => {
    const before = await rows();
    const response = await get('action=payment&number=100299&amount=1500.00&receipt=105512');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml('<code>4</code><message>Wrong receipt</message>'));
    expect(await rows()).toEqual(before);
  });

  it('status: the live payment, with the stored date and authcode', async () => {
    const response = await get('action=status&receipt=105512');
    expect(response.body).toBe(xml(`<code>0</code><message>OK</message><date>${date}</date><authcode>${authcode}</authcode>`));
  });

  it('cancel with mes=2: cancelled, answered with the authcode', async () => {
    const response = await get('action=cancel&receipt=105512&mes=2');
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(xml(`<code>0</code><message>Cancelled</message><authcode>${authcode}</authcode>`));
    expect(await rows()).toMatchObject([{ cancel_reason: '2', cancelled_at: expect.any(Date) }]);
  });

  it('status: cancelled, with the stored date and authcode', async () => {
    const response = await get('action=status&receipt=105512');
    expect(response.body).toBe(
      xml(`<code>7</code><message>Payment cancelled</message><date>${date}</date><authcode>${authcode}</authcode>`),
    );
  });

  it('a repeated cancel gets the same bytes and keeps the first reason', async () => {
    const response = await get('action=cancel&receipt=105512&mes=4');
    expect(response.body).toBe(xml(`<code>0</code><message>Cancelled</message><authcode>${authcode}</authcode>`));
    expect(await rows()).toMatchObject([{ cancel_reason: '2' }]);
  });

  it('a repeat of the payment after its cancel still gets the first answer, and changes nothing', async () => {
    const before = await rows();
    const response = await get(PAY);
    expect(response.body).toBe(xml(`<code>0</code><message>OK</message><date>${date}</date><authcode>${authcode}</authcode>`));
    expect(await rows()).toEqual(before);
  });

  it('the database down: HTTP 503, code 8, nothing recorded; the repeat is recorded', async () => {
    const { db } = gateway;
    const query = 'action=payment&number=100234&amount=10.00&receipt=105513';
    await db.exec(`ALTER TABLE ${db.table('kassa24_transaction')} RENAME TO kassa24_transaction_away`);
    let response: Awaited<ReturnType<typeof get>>;
    let status: Awaited<ReturnType<typeof get>>;
    let cancel: Awaited<ReturnType<typeof get>>;
    try {
      response = await get(query);
      status = await get('action=status&receipt=105512');
      cancel = await get('action=cancel&receipt=105512');
    } finally {
      await db.exec(`ALTER TABLE ${db.table('kassa24_transaction_away')} RENAME TO kassa24_transaction`);
    }
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(response.body).toBe(xml('<code>8</code><message>Temporary error, retry</message>'));
    // A status or cancel then is as temporary: the network asks again.
    for (const other of [status, cancel]) {
      expect([other.statusCode, other.body]).toEqual([503, xml('<code>8</code><message>Temporary error, retry</message>')]);
    }
    expect((await rows()).map(({ code }) => code)).toEqual(['105512']);
    expect((await get(query)).body).toMatch(/^<\?xml[^>]*><response><code>0<\/code><message>OK<\/message><date>/);
    expect((await rows()).map(({ code }) => code)).toEqual(['105512', '105513']);
  });
});

describe('other answers about payments', () => {
  it('status and cancel of a receipt never recorded: payment not found, nothing recorded', async () => {
    const before = await rows();
    expect((await get('action=status&receipt=999000')).body).toBe(xml('<code>6</code><message>Payment not found</message>'));
    expect((await get('action=cancel&receipt=999000&mes=1')).body).toBe(
      xml('<code>6</code><message>Payment not found</message>'),
    );
    expect(await rows()).toEqual(before);
    const events = await gateway.db.query(`SELECT 1 FROM ${gateway.db.table('kassa24_event')} WHERE payment_code = '999000'`);
    expect(events).toEqual([]);
  });

  it('the same receipt with another amount: wrong receipt', async () => {
    await get('action=payment&number=77&amount=5&receipt=200001');
    const before = await rows();
    expect((await get('action=payment&number=77&amount=5.01&receipt=200001')).body).toBe(
      xml('<code>4</code><message>Wrong receipt</message>'),
    );
    expect(await rows()).toEqual(before);
  });

  it('a repeat with the amount written otherwise, or without its date, or with another date, is the same payment', async () => {
    const first = await get('action=payment&number=78&amount=5&receipt=200002&date=2024-08-03T10:00:00');
    expect(first.body).toContain('<code>0</code>');
    for (const query of [
      'action=payment&number=78&amount=5.00&receipt=200002&date=2024-08-03T10:00:00',
      'action=payment&number=78&amount=5.0&receipt=200002',
      'action=payment&number=78&amount=005&receipt=200002&date=2024-08-03T10:05:00',
    ]) {
      expect((await get(query)).body).toBe(first.body);
    }
    const stored = (await rows()).filter(({ code }) => code === '200002');
    expect(stored).toMatchObject([{ sum: '5.00', network_date: '2024-08-03T10:00:00' }]);
  });

  it('a payment without date, type or commission keeps them NULL; the commission never joins the sum', async () => {
    await get('action=payment&number=79&amount=100.00&receipt=200003&commission=7.50');
    expect((await rows()).find(({ code }) => code === '200003')).toMatchObject({
      sum: '100.00',
      network_date: null,
      type: null,
      commission: '7.50',
    });
  });
});
