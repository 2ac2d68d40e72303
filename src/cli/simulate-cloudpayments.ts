/**
 * A CloudPayments notification as `payrelay simulate cloudpayments` sends it: a form body in
 * the CloudPayments format, signed the way CloudPayments signs (Content-HMAC over the exact
 * bytes, X-Content-HMAC over the decoded text) with CLOUDPAYMENTS_API_SECRET.
 */
import { createHmac } from 'node:crypto';
import { UsageError } from './args.js';
import { newTxnId } from './simulate-qiwi.js';
import type { SimulatedAnswer, SimulatedRequest } from './simulate-send.js';

export const CLOUDPAYMENTS_ACTIONS = ['check', 'pay', 'fail', 'refund', 'cancel', 'receipt'] as const;

const MEANINGS: Record<string, string> = {
  '0': 'accepted',
  '10': 'wrong InvoiceId',
  '11': 'wrong AccountId (no AccountId, or your account check answered 4xx)',
  '12': 'wrong amount',
  '13': 'cannot be accepted (a refusal, or a temporary failure: CloudPayments repeats all but Check)',
  '20': 'payment expired',
};

export interface CloudPaymentsOptions {
  account?: string;
  amount?: string;
  txnId?: string;
  currency?: string;
  invoiceId?: string;
  email?: string;
  now?: Date;
}

export function cloudPaymentsRequest(
  base: URL,
  action: string,
  options: CloudPaymentsOptions,
  secret?: string,
): SimulatedRequest {
  if (!options.account) throw new UsageError('--account is required');
  if (!options.amount) throw new UsageError('--amount is required');
  const body = new URLSearchParams(fields(action, options)).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (secret) {
    const sign = (text: string) => createHmac('sha256', secret).update(Buffer.from(text, 'utf8')).digest('base64');
    headers['content-hmac'] = sign(body);
    headers['x-content-hmac'] = sign(decodeURIComponent(body.replaceAll('+', ' ')));
  }
  return { method: 'POST', url: new URL(action, base), headers, body, signed: Boolean(secret) };
}

function fields(action: string, options: CloudPaymentsOptions): Record<string, string> {
  const now = options.now ?? new Date();
  const txnId = options.txnId ?? newTxnId(now);
  const common: Record<string, string> = {
    TransactionId: txnId,
    Amount: options.amount!,
    Currency: options.currency ?? 'RUB',
    DateTime: now.toISOString().slice(0, 19).replace('T', ' '),
    AccountId: options.account!,
    ...(options.invoiceId ? { InvoiceId: options.invoiceId } : {}),
    ...(options.email ? { Email: options.email } : {}),
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
      // The refund has an id of its own; --txn-id names the payment refunded.
      return {
        ...common,
        TransactionId: String(Number(newTxnId(now)) + 1),
        PaymentTransactionId: txnId,
        OperationType: 'Refund',
      };
    case 'cancel':
      return { ...common, OperationType: 'Payment', Status: 'Cancelled' };
    default:
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

export function explainCloudPayments(answer: SimulatedAnswer): { lines: string[]; accepted: boolean } {
  let code: unknown;
  try {
    code = (JSON.parse(answer.body) as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  if (typeof code !== 'number')
    return { lines: ['no {"code":N} in the answer: CloudPayments would count it a failure and repeat'], accepted: false };
  return { lines: [`code ${code}: ${MEANINGS[String(code)] ?? 'a code CloudPayments does not define'}`], accepted: code === 0 };
}
