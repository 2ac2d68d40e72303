/**
 * A CloudPayments notification as CloudPayments sends it: a form body in its format, POSTed to
 * the type's path and signed the way it signs (./signature.ts) with the instance's API Secret:
 * Content-HMAC over the exact bytes, X-Content-HMAC over the URL-decoded text. Unsigned when the
 * instance has no secret, as the gateway then accepts.
 */
import { createHmac } from 'node:crypto';
import { MissingInput, type SimulatedAnswer, type SimulationInput, type Simulator } from '../simulator.js';
import { Code } from './notifications.js';
import type { CloudPaymentsSettings } from './settings.js';

const ACTIONS = ['check', 'pay', 'fail', 'refund', 'cancel', 'receipt'] as const;
type Action = (typeof ACTIONS)[number];

/** What each code the protocol answers means to CloudPayments. */
const MEANINGS: Record<keyof typeof Code, string> = {
  ok: 'accepted',
  wrongInvoice: 'wrong InvoiceId',
  wrongAccount: 'wrong AccountId (no AccountId, or your account check answered 4xx)',
  wrongAmount: 'wrong amount',
  rejected: 'cannot be accepted (a refusal, or a temporary failure: CloudPayments repeats all but Check)',
  expired: 'payment expired',
};

const MEANING_OF_CODE = new Map<number, string>(
  Object.entries(Code).map(([name, code]) => [code, MEANINGS[name as keyof typeof Code]]),
);

export const simulator: Simulator<CloudPaymentsSettings> = {
  actions: ACTIONS,
  // The card is charged already: a Pay whose TransactionId is taken is answered 0 and kept aside.
  clash: 'accepted',
  eventAction: 'refund',
  options: {
    currency: 'the currency (default RUB)',
    'invoice-id': 'the order number in your shop (InvoiceId)',
    email: 'the payer’s e-mail (Email)',
  },
  aliases: { amount: 'sum' },
  request(base, action, input, settings) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`CloudPayments has no action "${action}"`);
    const body = new URLSearchParams(fields(action as Action, input)).toString();
    const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    return simulator.sign!({ method: 'POST', url: new URL(action, base), headers, body }, settings);
  },
  sign(request, settings) {
    const secret = settings.apiSecret;
    if (!secret || request.body === undefined) return { ...request, signed: false };
    const hmac = (text: string) => createHmac('sha256', secret).update(Buffer.from(text, 'utf8')).digest('base64');
    const signatures = {
      'content-hmac': hmac(request.body),
      'x-content-hmac': hmac(decodeURIComponent(request.body.replaceAll('+', ' '))),
    };
    return { ...request, headers: { ...request.headers, ...signatures }, signed: true };
  },
  // CloudPayments repeats every notification answered anything but 0, except a Check: there a
  // non-zero code declines the payment for good. Without the action, read as a notification.
  explain(answer: SimulatedAnswer, action?: string) {
    let code: unknown;
    try {
      code = (JSON.parse(answer.body) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'number') {
      return {
        lines: ['no {"code":N} in the answer: CloudPayments would count it a failure and repeat'],
        accepted: false,
        temporary: action !== 'check',
      };
    }
    const meaning = MEANING_OF_CODE.get(code) ?? 'a code CloudPayments does not define';
    const accepted = code === Code.ok;
    return { lines: [`code ${code}: ${meaning}`], accepted, temporary: !accepted && action !== 'check' };
  },
};

function fields(action: Action, input: SimulationInput): Record<string, string> {
  if (!input.account) throw new MissingInput('account');
  if (!input.sum) throw new MissingInput('sum');
  const now = input.now ?? new Date();
  const clock = String(now.getTime());
  const txnId = input.txnId ?? clock;
  const { currency, 'invoice-id': invoiceId, email } = input.extra ?? {};
  const common: Record<string, string> = {
    TransactionId: txnId,
    Amount: input.sum,
    Currency: currency ?? 'RUB',
    DateTime: now.toISOString().slice(0, 19).replace('T', ' '),
    AccountId: input.account,
    ...(invoiceId ? { InvoiceId: invoiceId } : {}),
    ...(email ? { Email: email } : {}),
    TestMode: '1',
  };
  const card = { CardFirstSix: '424242', CardLastFour: '4242', CardType: 'Visa', CardExpDate: '12/30' };
  switch (action) {
    case 'check':
    case 'pay':
      return { ...common, ...card, OperationType: 'Payment', Status: 'Completed' };
    case 'fail':
      return {
        ...common,
        ...card,
        OperationType: 'Payment',
        Status: 'Declined',
        Reason: 'InsufficientFunds',
        ReasonCode: '5051',
      };
    case 'refund':
      // The refund has an id of its own; the input's txnId names the payment refunded.
      return { ...common, TransactionId: String(Number(clock) + 1), PaymentTransactionId: txnId, OperationType: 'Refund' };
    case 'cancel':
      return { ...common, OperationType: 'Payment', Status: 'Cancelled' };
    case 'receipt':
      return receipt(common, txnId);
  }
}

function receipt(common: Record<string, string>, txnId: string): Record<string, string> {
  const item = { label: 'Payment', price: Number(common.Amount), quantity: 1, amount: Number(common.Amount), vat: null };
  return {
    ...common,
    Id: `receipt-${txnId}`,
    DocumentNumber: '1',
    SessionNumber: '1',
    FiscalSign: '1234567890',
    DeviceNumber: '0000000000000001',
    RegNumber: '0000000000000001',
    Inn: '7700000000',
    Type: 'Income',
    Ofd: 'test',
    Url: 'https://receipts.example/test',
    QrCodeUrl: 'https://receipts.example/test.png',
    Receipt: JSON.stringify({ Items: [item], Email: common.Email ?? null }),
  };
}
