/**
 * The toy network as it calls: a POST of JSON to the action's path, unsigned (it authenticates
 * with Basic credentials, which whoever sends the request adds).
 */
import { MissingInput, type SimulatedAnswer, type Simulator } from '../../src/providers/simulator.js';
import type { ToySettings } from './settings.js';

const ACTIONS = ['check', 'pay', 'cancel'] as const;

const MEANINGS: Record<string, string> = {
  ok: 'accepted',
  refused: 'refused for good',
  retry: 'not accepted now: the network will repeat the request later',
};

export const simulator: Simulator<ToySettings> = {
  actions: ACTIONS,
  options: { note: 'a note kept with the payment (pay)', reason: 'why the payment is cancelled (cancel)' },
  clash: 'refused',
  eventAction: 'cancel',
  request(base, action, input) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`the toy network has no action "${action}"`);
    const id = input.txnId ?? String((input.now ?? new Date()).getTime());
    let body: Record<string, string | undefined>;
    if (action === 'cancel') body = { id, reason: input.extra?.reason ?? 'cancelled by the customer' };
    else {
      if (!input.account) throw new MissingInput('account');
      if (!input.sum) throw new MissingInput('sum');
      body = { id, account: input.account, sum: input.sum, note: action === 'pay' ? input.extra?.note : undefined };
    }
    return {
      method: 'POST',
      url: new URL(action, base),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    };
  },
  explain(answer: SimulatedAnswer) {
    let parsed: { status?: unknown; id?: unknown; reason?: unknown } = {};
    try {
      parsed = JSON.parse(answer.body) as typeof parsed;
    } catch {}
    const status = typeof parsed.status === 'string' ? parsed.status : undefined;
    if (!status || !(status in MEANINGS)) {
      return { lines: ['no {"status": ...} in the answer: not the toy protocol’s'], accepted: false, temporary: false };
    }
    const lines = [`status ${status}: ${MEANINGS[status]}`];
    if (typeof parsed.reason === 'string') lines.push(`reason: ${parsed.reason}`);
    return { lines, accepted: status === 'ok', temporary: status === 'retry' };
  },
};
