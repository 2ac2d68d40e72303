/**
 * A QIWI-protocol terminal network's check or pay, as the network sends it: a GET of /payment
 * with the fields in its query string, unsigned (the network authenticates with Basic
 * credentials, added by whoever sends the request).
 */
import { MissingInput, type SimulatedAnswer, type Simulator } from '../simulator.js';
import { Result } from './protocol.js';
import type { QiwiSettings } from './settings.js';

/** What each result code the protocol gives means to the network (docs/providers/qiwi.md's table, from its side). */
const MEANINGS: Record<keyof typeof Result, string> = {
  ok: 'OK: the account exists (check) or the payment is recorded (pay)',
  temporary: 'temporary error: the network will repeat the request later',
  badAccount: 'wrong account format',
  accountNotFound: 'account not found (your account check answered 4xx)',
  sumTooSmall: 'sum too small',
  sumTooLarge: 'sum too large',
  other: 'other error (see the comment); final',
};

const MEANING_OF_CODE = new Map(
  Object.entries(Result).map(([name, code]) => [String(code), MEANINGS[name as keyof typeof Result]]),
);

export const simulator: Simulator<QiwiSettings> = {
  actions: ['check', 'pay'],
  request(base, action, input) {
    if (action !== 'check' && action !== 'pay') throw new Error(`the QIWI protocol has no action "${action}"`);
    if (!input.account) throw new MissingInput('account');
    const now = input.now ?? new Date();
    // A txn_id of the current time's digits: distinct for every run of a person at a terminal.
    const query = new URLSearchParams({ command: action, txn_id: input.txnId ?? String(now.getTime()), account: input.account });
    // Without one, a pay is the gateway's refusal to see: sent as asked.
    if (input.sum !== undefined) query.set('sum', input.sum);
    if (action === 'pay') query.set('txn_date', now.toISOString().replace(/\D/g, '').slice(0, 14));
    return { method: 'GET', url: new URL(`payment?${query}`, base) };
  },
  explain(answer: SimulatedAnswer) {
    const field = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(answer.body)?.[1];
    const result = field('result');
    if (result === undefined) {
      return { lines: ['no <result> in the answer: not a QIWI-protocol response'], accepted: false, temporary: false };
    }
    const lines = [`result ${result}: ${MEANING_OF_CODE.get(result) ?? 'a code payrelay does not give'}`];
    for (const tag of ['comment', 'prv_txn', 'osmp_txn_id', 'sum']) {
      const value = field(tag);
      if (value !== undefined) lines.push(`${tag}: ${unescapeXml(value)}`);
    }
    // Result 1 is the one the network repeats; every other is final.
    return { lines, accepted: result === String(Result.ok), temporary: result === String(Result.temporary) };
  },
};

function unescapeXml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name as 'amp'],
  );
}
