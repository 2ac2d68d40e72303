/**
 * The QIWI (OSMP) provider protocol: reading a terminal network's request and writing the XML
 * answer it expects. Pure functions; docs/providers/qiwi.md tells the protocol in words.
 */
import { parseAmount } from '../../util/amount.js';
import { escapeXml } from '../kit/answers.js';
import type { FormParams, Value } from '../kit/params.js';
import type { Fields } from '../kit/fields.js';

export const Result = {
  ok: 0,
  temporary: 1,
  badAccount: 4,
  accountNotFound: 5,
  sumTooSmall: 241,
  sumTooLarge: 242,
  other: 300,
} as const;

/** A check (or getInfo) registers nothing: the network may send it without txn_id or sum. */
export type QiwiRequest =
  | { command: 'check'; txnId?: string; account: string; sum?: string; ccy?: string }
  | { command: 'pay'; txnId: string; account: string; sum: string; ccy?: string; txnDate?: string };

/** Values a terminal shows the customer before payment, in order: name and value. */
export type { Fields };

export interface QiwiAnswer {
  /** Echoed as sent; an empty element when the request had none. */
  txnId: string;
  result: number;
  comment: string;
  prvTxn?: string;
  sum?: string;
  fields?: Fields;
}

const COMMANDS: Record<string, QiwiRequest['command']> = { check: 'check', getInfo: 'check', pay: 'pay' };
const TXN_ID = /^[0-9]{1,20}$/;
const MAX_ACCOUNT_LENGTH = 200;
// C0 and C1 controls, DEL and a byte-order mark are never part of an account a customer dialled.
const NOT_IN_ACCOUNT = /[\u0000-\u001f\u007f-\u009f\ufeff]/;
const CONTROL = /[\u0000-\u001f\u007f]/;

type Parsed = { request: QiwiRequest } | { refusal: QiwiAnswer };

/** A request, or the final refusal it earns. Unknown parameters are ignored. */
export function parseRequest(params: FormParams): Parsed {
  const txnIdEcho = params.echo('txn_id');
  const refuse = (result: number, comment: string, sum?: string): Parsed => ({
    refusal: { txnId: txnIdEcho, result, comment, sum },
  });
  const command = params.get('command');
  const kind = 'text' in command && Object.hasOwn(COMMANDS, command.text) ? COMMANDS[command.text] : undefined;
  if (!kind) return refuse(Result.other, 'unknown command');

  const txnId = params.get('txn_id');
  if ('text' in txnId ? !TXN_ID.test(txnId.text) : kind === 'pay' || txnId.problem !== 'absent') {
    return refuse(Result.other, 'txn_id must be 1 to 20 digits');
  }
  const account = params.get('account');
  if (
    !('text' in account) ||
    !account.text.trim() ||
    account.text.length > MAX_ACCOUNT_LENGTH ||
    NOT_IN_ACCOUNT.test(account.text)
  ) {
    return refuse(Result.badAccount, `account must be 1 to ${MAX_ACCOUNT_LENGTH} printable characters`);
  }
  const optional = readOptional(params, ['ccy', 'txn_date']);
  if ('bad' in optional) return refuse(Result.other, `${optional.bad} must be printable text`);

  const sum = readSum(params.get('sum'), kind);
  if ('refusal' in sum) return refuse(sum.refusal.result, sum.refusal.comment);
  const base = { account: account.text, ccy: optional.values.ccy };
  const id = 'text' in txnId ? txnId.text : undefined;
  if (kind === 'check') return { request: { command: 'check', txnId: id, sum: sum.sum, ...base } };
  return { request: { command: 'pay', txnId: id!, sum: sum.sum!, txnDate: optional.values.txn_date, ...base } };
}

type SumRead = { sum: string | undefined } | { refusal: { result: number; comment: string } };

function readSum(raw: Value, kind: QiwiRequest['command']): SumRead {
  if (!('text' in raw)) {
    if (raw.problem === 'absent' && kind === 'check') return { sum: undefined };
    return {
      refusal: {
        result: Result.other,
        comment: kind === 'pay' && raw.problem === 'absent' ? 'sum is required' : 'sum is malformed',
      },
    };
  }
  const parsed = parseAmount(raw.text);
  if ('amount' in parsed) return { sum: parsed.amount };
  // A kiosk checks the account with sum=0.00 before any cash is inserted.
  if (parsed.problem === 'zero') {
    return kind === 'check' ? { sum: '0.00' } : { refusal: { result: Result.sumTooSmall, comment: 'sum must be above zero' } };
  }
  if (parsed.problem === 'too-large') return { refusal: { result: Result.sumTooLarge, comment: 'sum is too large' } };
  return { refusal: { result: Result.other, comment: 'sum must be a positive number with at most two decimals' } };
}

/** Parameters that are only stored: taken as sent when present, refused when unreadable. */
function readOptional(params: FormParams, names: string[]): { values: Record<string, string | undefined> } | { bad: string } {
  const values: Record<string, string | undefined> = {};
  for (const name of names) {
    const value = params.get(name);
    if ('text' in value && !CONTROL.test(value.text)) values[name] = value.text || undefined;
    else if (!('problem' in value) || value.problem !== 'absent') return { bad: name };
  }
  return { values };
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
    renderFields(answer.fields) +
    '</response>\n'
  );
}

function renderFields(fields: Fields | undefined): string {
  if (!fields?.length) return '';
  const items = fields.map(([name, value], i) => `<field${i + 1} name="${escapeXml(name)}">${escapeXml(value)}</field${i + 1}>`);
  return `  <fields>${items.join('')}</fields>\n`;
}
