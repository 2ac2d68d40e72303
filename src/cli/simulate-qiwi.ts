/** A QIWI-protocol terminal network's check or pay, as `payrelay simulate qiwi` sends it. */
import { UsageError } from './args.js';
import type { SimulatedAnswer, SimulatedRequest } from './simulate-send.js';

export const QIWI_ACTIONS = ['check', 'pay'] as const;

/** What each result code means to the network (the README's table, from the network's side). */
const MEANINGS: Record<string, string> = {
  '0': 'OK: the account exists (check) or the payment is recorded (pay)',
  '1': 'temporary error: the network will repeat the request later',
  '4': 'wrong account format',
  '5': 'account not found (your account check answered 4xx)',
  '7': 'payment forbidden',
  '241': 'sum too small',
  '242': 'sum too large',
  '300': 'other error (see the comment); final',
};

export interface QiwiOptions {
  account?: string;
  sum?: string;
  txnId?: string;
  now?: Date;
}

export function qiwiRequest(base: URL, action: string, options: QiwiOptions): SimulatedRequest {
  if (!options.account) throw new UsageError('--account is required');
  const now = options.now ?? new Date();
  const query = new URLSearchParams({ command: action, txn_id: options.txnId ?? newTxnId(now), account: options.account });
  if (options.sum !== undefined) query.set('sum', options.sum);
  if (action === 'pay') query.set('txn_date', now.toISOString().replace(/\D/g, '').slice(0, 14));
  const url = new URL(`payment?${query}`, base);
  return { method: 'GET', url };
}

export function explainQiwi(answer: SimulatedAnswer): { lines: string[]; accepted: boolean } {
  const field = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(answer.body)?.[1];
  const result = field('result');
  if (result === undefined) return { lines: ['no <result> in the answer: not a QIWI-protocol response'], accepted: false };
  const lines = [`result ${result}: ${MEANINGS[result] ?? 'a code payrelay does not give'}`];
  for (const tag of ['comment', 'prv_txn', 'osmp_txn_id', 'sum']) {
    const value = field(tag);
    if (value !== undefined) lines.push(`${tag}: ${unescapeXml(value)}`);
  }
  return { lines, accepted: result === '0' };
}

/** A txn_id of the current time's digits: distinct for every run of a person at a terminal. */
export function newTxnId(now: Date): string {
  return String(now.getTime());
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name as 'amp'],
  );
}
