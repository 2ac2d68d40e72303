/**
 * Kaspi's check, pay and cancel as the network sends them: a GET of /payment with the fields in
 * its query string, unsigned and without credentials (the network is known by its address).
 */
import { MissingInput, type SimulatedAnswer, type Simulator } from '../simulator.js';
import type { ProviderSettings } from '../types.js';
import { Result } from './protocol.js';

const ACTIONS = ['check', 'pay', 'cancel'] as const;

/** What each result means to the network; code 1 reads differently on a cancel. */
const MEANINGS: Record<number, string> = {
  [Result.ok]: 'OK: the account exists (check), the payment is recorded (pay) or cancelled (cancel)',
  [Result.accountNotFound]: 'account not found (your account check answered 4xx)',
  [Result.orderCancelled]: 'order cancelled (your account check answered 410)',
  [Result.alreadyPaid]: 'order already paid (your account check answered 409)',
  [Result.inProgress]: 'payment in progress: the network will repeat the request later',
  [Result.other]: 'other error (see the comment)',
};

export const simulator: Simulator<ProviderSettings> = {
  actions: ACTIONS,
  clash: 'refused',
  eventAction: 'cancel',
  options: {
    'prv-txn': 'payrelay’s id of the payment to cancel (prv_txn), with or instead of --txn-id (cancel)',
  },
  request(base, action, input) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`Kaspi has no action "${action}"`);
    const now = input.now ?? new Date();
    const query = new URLSearchParams({ command: action });
    if (action === 'cancel') {
      const prvTxn = input.extra?.['prv-txn'];
      if (input.txnId === undefined && prvTxn === undefined) throw new MissingInput('txnId');
      if (input.txnId !== undefined) query.set('txn_id', input.txnId);
      if (prvTxn !== undefined) query.set('prv_txn', prvTxn);
      return { method: 'GET', url: new URL(`payment?${query}`, base) };
    }
    if (!input.account) throw new MissingInput('account');
    // A txn_id of the current time's digits: distinct for every run of a person.
    query.set('txn_id', input.txnId ?? String(now.getTime()));
    if (action === 'pay') query.set('txn_date', now.toISOString().replace(/\D/g, '').slice(0, 14));
    query.set('account', input.account);
    // A check's sum is a dummy the network sends all the same; a pay without one is the gateway's to refuse.
    if (action === 'check') query.set('sum', input.sum ?? '0.00');
    else if (input.sum !== undefined) query.set('sum', input.sum);
    return { method: 'GET', url: new URL(`payment?${query}`, base) };
  },
  explain(answer: SimulatedAnswer, action?: string) {
    const parsed = readAnswer(answer.body);
    // An HTTP 503 is a passing failure of ours whatever its result: the network repeats.
    const temporary = answer.status === 503;
    if (!parsed) {
      return { lines: ['no {"result": N} in the answer: not a Kaspi-protocol response'], accepted: false, temporary };
    }
    const { result, comment } = parsed;
    const meaning =
      action === 'cancel' && result === Result.accountNotFound
        ? 'payment not found'
        : (MEANINGS[result] ?? 'a code payrelay does not give');
    const lines = [`result ${result}: ${meaning}${temporary ? '; HTTP 503: the network will repeat the request later' : ''}`];
    if (comment !== undefined) lines.push(`comment: ${comment}`);
    for (const key of ['prv_txn_id', 'txn_id', 'sum']) {
      const raw = rawValue(answer.body, key);
      if (raw !== undefined) lines.push(`${key}: ${raw}`);
    }
    for (const [name, value] of parsed.fields) lines.push(`field ${name}: ${value}`);
    const accepted = result === Result.ok && answer.status === 200;
    return { lines, accepted, temporary: temporary || result === Result.inProgress };
  },
};

interface Read {
  result: number;
  comment?: string;
  fields: [string, string][];
}

function readAnswer(body: string): Read | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { result, comment, fields } = value as { result?: unknown; comment?: unknown; fields?: unknown };
  if (typeof result !== 'number') return undefined;
  const shown = typeof fields === 'object' && fields !== null ? Object.values(fields) : [];
  return {
    result,
    comment: typeof comment === 'string' ? comment : undefined,
    fields: shown.flatMap((field: { '@name'?: unknown; '#text'?: unknown }) =>
      typeof field?.['@name'] === 'string' && typeof field['#text'] === 'string' ? [[field['@name'], field['#text']]] : [],
    ),
  };
}

/** A top-level value as written (`200.00`, not the 200 JSON.parse makes of it). */
function rawValue(body: string, key: string): string | undefined {
  return new RegExp(`"${key}":("(?:[^"\\\\]|\\\\.)*"|[0-9.]+)`).exec(body)?.[1];
}
