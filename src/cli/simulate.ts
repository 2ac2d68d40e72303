import { EnvReader, loadEnv } from '../config/index.js';
import { failureReason } from '../http/client.js';
import { redactUrl } from '../util/redact-url.js';
import { parseCommandLine, UsageError } from './args.js';
import { CLOUDPAYMENTS_ACTIONS, cloudPaymentsRequest, explainCloudPayments } from './simulate-cloudpayments.js';
import { explainQiwi, QIWI_ACTIONS, qiwiRequest } from './simulate-qiwi.js';
import { type SimulatedRequest, sendSimulated } from './simulate-send.js';
import type { CliCommand } from './types.js';

const DEFAULT_URL = 'http://localhost:8080';

export const command: CliCommand = {
  name: 'simulate',
  summary: 'play a provider: send a check, pay, ... to a running gateway',
  help: `usage:
  payrelay simulate qiwi check|pay --account A [--sum S] [--txn-id N] [--url U]
  payrelay simulate cloudpayments check|pay|fail|refund|cancel|receipt --account A --amount S
                                  [--txn-id N] [--currency C] [--invoice-id I] [--email E] [--url U]

Sends one well-formed provider request to a running gateway and prints its answer: the result
code and what it means. Rehearse the whole flow, your backend included, without a provider
contract: a check asks your account check, a pay is recorded and delivered to your webhook.

  --url U        the gateway (default ${DEFAULT_URL}); a path such as /_qiwi_ is kept
  --account A    the account (your customer's id)
  --sum S        QIWI: the sum, like 100.00 (a pay needs one)
  --amount S     CloudPayments: the amount, like 100.00
  --txn-id N     the provider's payment id (default: the current time in milliseconds);
                 repeat a pay with the same one to see it answered as a repeat. For refund,
                 the payment refunded (the refund gets an id of its own)

Credentials come from the same environment as the gateway's (and a .env file here):
HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD are sent as Basic authorization (or put them in the
URL), and CloudPayments notifications are signed with CLOUDPAYMENTS_API_SECRET.

Exit code 0 when the gateway accepted (code 0), 1 when it answered otherwise or could not be
reached, 2 for a command line it cannot use.`,
  async run(args) {
    const { values, positionals } = parseCommandLine(
      args,
      {
        url: { type: 'string' },
        account: { type: 'string' },
        sum: { type: 'string' },
        amount: { type: 'string' },
        'txn-id': { type: 'string' },
        currency: { type: 'string' },
        'invoice-id': { type: 'string' },
        email: { type: 'string' },
      },
      2,
    );
    const [provider, action] = positionals;
    const env = new EnvReader(loadEnv());
    const base = gatewayUrl(values.url ?? DEFAULT_URL);
    const common = { account: values.account, txnId: values['txn-id'] };
    let request: SimulatedRequest;
    let explain: typeof explainQiwi;
    if (provider === 'qiwi') {
      expectAction(action, QIWI_ACTIONS, 'qiwi');
      onlyOptions(values, ['url', 'account', 'sum', 'txn-id'], 'qiwi');
      request = qiwiRequest(base, action!, { ...common, sum: values.sum });
      explain = explainQiwi;
    } else if (provider === 'cloudpayments') {
      expectAction(action, CLOUDPAYMENTS_ACTIONS, 'cloudpayments');
      onlyOptions(values, ['url', 'account', 'amount', 'txn-id', 'currency', 'invoice-id', 'email'], 'cloudpayments');
      const options = {
        ...common,
        amount: values.amount,
        currency: values.currency,
        invoiceId: values['invoice-id'],
        email: values.email,
      };
      request = cloudPaymentsRequest(base, action!, options, env.secret('CLOUDPAYMENTS_API_SECRET'));
      explain = explainCloudPayments;
    } else {
      throw new UsageError(
        provider ? `unknown provider "${provider}": qiwi or cloudpayments` : 'which provider? qiwi or cloudpayments',
      );
    }
    return send(request, explain, basicAuth(env));
  },
};

async function send(request: SimulatedRequest, explain: typeof explainQiwi, auth?: { username: string; password: string }) {
  const how = [request.signed ? 'signed' : '', auth || request.url.username ? 'basic auth' : ''].filter(Boolean);
  console.log(`> ${request.method} ${shownUrl(request.url)}${how.length ? `  (${how.join(', ')})` : ''}`);
  if (request.body) console.log(`> ${request.body}`);
  let answer: Awaited<ReturnType<typeof sendSimulated>>;
  try {
    answer = await sendSimulated(request, auth);
  } catch (error) {
    console.log(`cannot reach the gateway at ${request.url.origin}: ${failureReason(error)}`);
    return 1;
  }
  console.log(`< HTTP ${answer.status} ${answer.contentType}`);
  for (const line of answer.body.trimEnd().split('\n')) console.log(`< ${line}`);
  const { lines, accepted } = explain(answer);
  console.log('');
  for (const line of lines) console.log(line);
  return accepted ? 0 : 1;
}

/**
 * The request's URL with the credentials of --url masked (redactUrl) but its query in full: that
 * is the simulator's own, the protocol's fields (the request is resolved against --url, whose own
 * query is dropped), and showing them is what the simulator is for.
 */
function shownUrl(url: URL): string {
  const withoutQuery = new URL(url);
  withoutQuery.search = '';
  return `${redactUrl(withoutQuery)}${url.search}`;
}

function gatewayUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url is not a URL: "${redactUrl(text)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must start with http:// or https://');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function expectAction(action: string | undefined, actions: readonly string[], provider: string): void {
  if (action && actions.includes(action)) return;
  const what = action ? `unknown action "${action}" for ${provider}:` : `which action for ${provider}?`;
  throw new UsageError(`${what} ${actions.join(', ')}`);
}

function onlyOptions(values: Record<string, unknown>, allowed: string[], provider: string): void {
  const stray = Object.keys(values).find((name) => values[name] !== undefined && !allowed.includes(name));
  if (stray) throw new UsageError(`--${stray} is not an option of ${provider}`);
}

function basicAuth(env: EnvReader): { username: string; password: string } | undefined {
  const username = env.secret('HTTP_AUTH_USERNAME');
  const password = env.secret('HTTP_AUTH_PASSWORD');
  return username && password ? { username, password } : undefined;
}
