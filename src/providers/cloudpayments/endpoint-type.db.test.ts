/**
 * A notification's own type against its endpoint (issue 29, finding 4): a message signed for one
 * type, replayed to another type's URL, is refused {"code":13} and records nothing. The types are
 * told apart only by fields CloudPayments itself sends (OperationType, Status); signatures are
 * computed here with node:crypto, independently of the gateway's code.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { asLogged, CANCEL, CONFIRM, FAIL, PAY, PAY_JSON, REFUND, RECEIPT, SECRET, withField } from './fixtures/notifications.js';
import { emptyTables, httpLog, notifications, transactions } from './fixtures/tables.js';

const FORM = 'application/x-www-form-urlencoded';
const sign = (message: string) => createHmac('sha256', SECRET).update(message, 'utf8').digest('base64');

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ CLOUDPAYMENTS_API_SECRET: SECRET });
});
afterAll(() => gateway.close());
afterEach(() => emptyTables(gateway.db));

/** Posted as CloudPayments posts it, with its Content-HMAC: a capture replayed byte for byte. */
const post = (url: string, body: string, contentType = FORM) =>
  gateway.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType, 'content-hmac': sign(body) },
    payload: body,
  });

async function expectCode(response: Promise<{ statusCode: number; body: string }>, code: number) {
  const { statusCode, body } = await response;
  expect([statusCode, body]).toEqual([200, `{"code":${code}}`]);
}

async function expectNothingRecorded() {
  expect(await notifications(gateway.db)).toEqual([]);
  expect(await transactions(gateway.db)).toEqual([]);
}

/** A two-stage payment's Pay: authorised, to be confirmed or cancelled later. */
const PAY_AUTHORIZED = withField(PAY, 'Status', 'Authorized');
/** A Cancel that names itself, as the simulator (src/providers/cloudpayments/simulator.ts) sends one. */
const CANCEL_WITH_STATUS = `${CANCEL}&OperationType=Payment&Status=Cancelled`;

describe('a signed message replayed to another type’s endpoint is refused and records nothing', () => {
  it.each([
    ['a Pay (OperationType=Payment, Status=Completed)', '/cancel', PAY],
    ['a Pay', '/_cloudpayments_/cancel', PAY],
    ['a Pay', '/fail', PAY],
    ['a Pay', '/refund', PAY],
    ['a two-stage Pay (Status=Authorized)', '/cancel', PAY_AUTHORIZED],
    ['a two-stage Pay (Status=Authorized)', '/confirm', PAY_AUTHORIZED],
    ['a Refund (OperationType=Refund)', '/pay', REFUND],
    ['a Refund', '/cancel', REFUND],
    ['a Refund', '/fail', REFUND],
    ['a Refund', '/confirm', REFUND],
    ['a Fail (Status=Declined)', '/pay', FAIL],
    ['a Fail', '/cancel', FAIL],
    ['a Fail', '/confirm', FAIL],
    ['a Fail', '/refund', FAIL],
    ['a Confirm (Status=Completed)', '/cancel', CONFIRM],
    ['a Confirm', '/fail', CONFIRM],
    ['a Cancel with Status=Cancelled', '/pay', CANCEL_WITH_STATUS],
    ['a Cancel with Status=Cancelled', '/confirm', CANCEL_WITH_STATUS],
    ['a Cancel with Status=Cancelled', '/refund', CANCEL_WITH_STATUS],
  ])('%s posted to %s', async (_name, url, body) => {
    await expectCode(post(url, body), 13);
    await expectNothingRecorded();
    // The attempt itself is kept in the request log, as every request is.
    expect(await httpLog(gateway.db)).toMatchObject([{ method: 'POST', url, body: asLogged(body) }]);
  });

  it('by GET too', async () => {
    await expectCode(gateway.app.inject({ url: `/cancel?${PAY}`, headers: { 'content-hmac': sign(PAY) } }), 13);
    await expectNothingRecorded();
  });

  it('under a type named in the path in another case (/_cloudpayments_/Cancel)', async () => {
    await expectCode(post('/_cloudpayments_/Cancel', PAY), 13);
    await expectCode(post('/_cloudpayments_/REFUND', PAY), 13);
    await expectCode(post('/_cloudpayments_/Pay', REFUND), 13);
    await expectNothingRecorded();
  });

  it('whatever the case of the values (status=completed)', async () => {
    await expectCode(post('/cancel', withField(withField(PAY, 'Status', 'completed'), 'OperationType', 'payment')), 13);
    await expectCode(post('/pay', withField(REFUND, 'OperationType', 'REFUND')), 13);
    await expectNothingRecorded();
  });

  it('a JSON Pay (Status only) posted to /cancel', async () => {
    await expectCode(post('/cancel', PAY_JSON, 'application/json'), 13);
    await expectNothingRecorded();
  });
});

describe('each type at its own endpoint is still accepted', () => {
  it.each([
    ['/pay', PAY],
    ['/pay', PAY_AUTHORIZED],
    ['/pay', withField(PAY, 'OperationType', 'CardPayout')],
    ['/fail', FAIL],
    ['/confirm', CONFIRM],
    ['/refund', REFUND],
    ['/cancel', CANCEL],
    ['/cancel', CANCEL_WITH_STATUS],
    ['/receipt', RECEIPT],
    ['/_cloudpayments_/Cancel', CANCEL_WITH_STATUS],
  ])('%s', async (url, body) => {
    await expectCode(post(url, body), 0);
  });

  it('a status no type claims as its own is not a contradiction', async () => {
    await expectCode(post('/pay', withField(PAY, 'Status', 'SomethingNew')), 0);
    await expectCode(post('/cancel', withField(CANCEL, 'OperationType', 'SomethingNew')), 0);
  });
});

describe('a type spelled as the cabinet may spell it in the URL', () => {
  it('/_cloudpayments_/Pay is a Pay: a payment, delivered like one, not a notification kept aside', async () => {
    await expectCode(post('/_cloudpayments_/Pay', PAY), 0);
    expect(await transactions(gateway.db)).toEqual([expect.objectContaining({ code: '2901358781', sum: '1500.00' })]);
    expect(await notifications(gateway.db)).toEqual([]);
  });

  it('/_cloudpayments_/CHECK is a Check: answered, nothing recorded', async () => {
    await expectCode(post('/_cloudpayments_/CHECK', PAY), 0);
    await expectNothingRecorded();
  });

  it('/_cloudpayments_/Refund is a Refund, refused like one when it contradicts its URL', async () => {
    await expectCode(post('/_cloudpayments_/Refund', REFUND), 0);
    expect((await notifications(gateway.db)).map(({ type }) => type)).toEqual(['Refund']);
    await expectCode(post('/_cloudpayments_/Refund', PAY), 13);
  });
});
