/**
 * The QIWI (OSMP) provider protocol: reading a terminal network's request and writing the XML
 * answer it expects. Pure functions; see shared/protocols/qiwi.md.
 */
import { parseAmount } from '../../util/amount.js';

export const Result = {
  ok: 0,
  temporary: 1,
  badAccount: 4,
  accountNotFound: 5,
  sumTooSmall: 241,
  sumTooLarge: 242,
  other: 300,
} as const;

export type QiwiRequest =
  | { command: 'check'; txnId: string; account: string; sum?: string; ccy?: string }
  | { command: 'pay'; txnId: string; account: string; sum: string; ccy?: string; txnDate?: string };

export interface QiwiAnswer {
  txnId: string;
  result: number;
  comment: string;
  prvTxn?: string;
  sum?: string;
}

const TXN_ID = /^\d{1,20}$/;
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');
const MAX_ACCOUNT_LENGTH = 200;

/** A request, or the final refusal it earns. Unknown parameters are ignored. */
export function parseRequest(params: URLSearchParams): { request: QiwiRequest } | { refusal: QiwiAnswer } {
  // Control characters are never part of a real value, and NUL cannot even be stored.
  const get = (name: string) => params.get(name)?.replace(CONTROL_CHARACTERS, '');
  const txnId = get('txn_id')?.trim() ?? '';
  const refuse = (result: number, comment: string, sum?: string) => ({ refusal: { txnId, result, comment, sum } });

  const command = get('command');
  if (command !== 'check' && command !== 'pay') return refuse(Result.other, 'unknown command');
  if (!TXN_ID.test(txnId)) return refuse(Result.other, 'txn_id must be 1 to 20 digits');

  const account = params.get('account')?.trim() ?? '';
  if (!account || account.length > MAX_ACCOUNT_LENGTH || CONTROL_CHARACTER.test(account)) {
    return refuse(Result.badAccount, `account must be 1 to ${MAX_ACCOUNT_LENGTH} printable characters`);
  }

  const rawSum = get('sum')?.trim();
  if (rawSum === undefined || rawSum === '') {
    if (command === 'pay') return refuse(Result.other, 'sum is required');
    return { request: { command, txnId, account, ccy: get('ccy') } };
  }
  const parsed = parseAmount(rawSum);
  if ('problem' in parsed) {
    if (parsed.problem === 'zero') return refuse(Result.sumTooSmall, 'sum must be above zero');
    if (parsed.problem === 'too-large') return refuse(Result.sumTooLarge, 'sum is too large');
    return refuse(Result.other, 'sum must be a positive number with at most two decimals');
  }
  const sum = parsed.amount;
  if (command === 'check') return { request: { command, txnId, account, sum, ccy: get('ccy') } };
  return { request: { command, txnId, account, sum, ccy: get('ccy'), txnDate: get('txn_date') } };
}

export function renderAnswer(answer: QiwiAnswer): string {
  const line = (tag: string, value: string | number | undefined) =>
    value === undefined ? '' : `  <${tag}>${escapeXml(String(value))}</${tag}>\n`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<response>\n' +
    line('osmp_txn_id', answer.txnId) +
    line('prv_txn', answer.prvTxn) +
    line('sum', answer.sum) +
    line('result', answer.result) +
    line('comment', answer.comment) +
    '</response>\n'
  );
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function escapeXml(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped rather than sent as a broken document.
  const clean = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '');
  return clean.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}
