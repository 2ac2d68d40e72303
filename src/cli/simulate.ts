import { EnvReader, loadEnv } from '../config/index.js';
import type { Credentials } from '../http/basic-auth.js';
import { failureReason } from '../http/client.js';
import { configureProviders, DEFAULT_PROVIDERS, protocols } from '../providers/index.js';
import { type CommonInput, MissingInput, type SimulatedRequest, type Simulator } from '../providers/simulator.js';
import type { Instance } from '../providers/types.js';
import { redactUrl } from '../util/redact-url.js';
import { parseCommandLine, UsageError } from './args.js';
import { sendSimulated } from './simulate-send.js';
import type { CliCommand } from './types.js';

const DEFAULT_ORIGIN = 'http://localhost:8080';

/** The options every protocol shares, by the input each fills. */
const COMMON: Record<CommonInput, string> = { account: 'account', sum: 'sum', txnId: 'txn-id' };
const PLACEHOLDERS: Record<CommonInput, string> = { account: 'A', sum: 'S', txnId: 'N' };

/** The protocols that can be played, each with its simulator. */
const playable = protocols.flatMap((protocol) => (protocol.simulator ? [{ protocol, simulator: protocol.simulator }] : []));

/** A protocol's own options and its aliases: the command line's names beyond the shared ones. */
function ownOptions(simulator: Simulator): string[] {
  return [...Object.keys(simulator.aliases ?? {}), ...Object.keys(simulator.options ?? {})];
}

/** Every option some protocol takes: the command line is parsed before its instance is known. */
const OPTIONS = Object.fromEntries(
  ['url', ...Object.values(COMMON), ...playable.flatMap(({ simulator }) => ownOptions(simulator))].map((name) => [
    name,
    { type: 'string' as const },
  ]),
);

export const command: CliCommand = {
  name: 'simulate',
  summary: 'play a provider: send a check, pay, ... to a running gateway',
  help: `usage:
  payrelay simulate <instance> <action> [--account A] [--sum S] [--txn-id N] [--url U]
                    [its protocol's options]

Sends one well-formed request of a provider's network to a running gateway and prints its answer:
the result code and what it means. Rehearse the whole flow, your backend included, without a
provider contract: a check asks your account check, a pay is recorded and delivered to your webhook.

<instance> is one PROVIDERS names (default ${DEFAULT_PROVIDERS}): a protocol's name, or the
name of an instance of it (\`name:protocol\`).

  --url U        the gateway (default ${DEFAULT_ORIGIN}/_<instance>_/): a URL without a
                 path gets /_<instance>_/, one with a path is kept as given
  --account A    the account (your customer's id)
  --sum S        the sum, like 100.00
  --txn-id N     the network's payment id (default: the current time in milliseconds); repeat a
                 pay with the same one to see it answered as a repeat. For an event (a refund, a
                 cancel), the payment it is about

Each protocol's actions and its own options:
${protocolsHelp()}

Credentials come from the same environment as the gateway's (and a .env file here): the
instance's Basic credentials (<NAME>_HTTP_AUTH_USERNAME and <NAME>_HTTP_AUTH_PASSWORD, else
HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD) are sent, or put them in the URL; a protocol that signs
its requests signs with the instance's secret the gateway checks them with.

Exit code 0 when the gateway accepted, 1 when it answered otherwise or could not be reached, 2
for a command line it cannot use.`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, OPTIONS, 2);
    const [name, action] = positionals;
    const instances = configureProviders(new EnvReader(loadEnv()));
    const instance = findInstance(instances, name);
    const { simulator } = instance.protocol;
    if (!simulator) throw new UsageError(`${name} cannot be simulated: ${instance.protocol.title} has no simulator yet`);
    if (!action || !simulator.actions.includes(action)) {
      const what = action ? `unknown action "${action}" for ${name}:` : `which action for ${name}?`;
      throw new UsageError(`${what} ${simulator.actions.join(', ')}`);
    }
    const stray = Object.keys(values).find(
      (option) => values[option] !== undefined && !['url', ...Object.values(COMMON), ...ownOptions(simulator)].includes(option),
    );
    if (stray) throw new UsageError(`--${stray} is not an option of ${name}`);

    const common: Record<CommonInput, string | undefined> = {
      account: values.account,
      sum: values.sum,
      txnId: values['txn-id'],
    };
    for (const [alias, input] of Object.entries(simulator.aliases ?? {})) {
      if (values[alias] === undefined) continue;
      if (common[input] !== undefined) throw new UsageError(`--${alias} and --${COMMON[input]} are the same: give one`);
      common[input] = values[alias];
    }
    const extra = Object.fromEntries(Object.keys(simulator.options ?? {}).map((option) => [option, values[option]]));
    let request: SimulatedRequest;
    try {
      request = simulator.request(gatewayUrl(values.url, instance.name), action, { ...common, extra }, instance.settings);
    } catch (error) {
      if (error instanceof MissingInput) throw new UsageError(`${optionNames(simulator, error.input)} is required`);
      throw error;
    }
    return send(request, simulator, action, instance.settings.httpAuth);
  },
};

function findInstance(instances: Instance[], name: string | undefined): Instance {
  const instance = instances.find((candidate) => candidate.name === name);
  if (instance) return instance;
  const names = instances.map((candidate) => candidate.name).join(', ');
  throw new UsageError(name ? `unknown instance "${name}": ${names}` : `which instance? ${names}`);
}

/** How the command line names an input: `--sum or --amount`. */
function optionNames(simulator: Simulator, input: string): string {
  if (!Object.hasOwn(COMMON, input)) return `--${input}`;
  const aliases = Object.entries(simulator.aliases ?? {}).filter(([, target]) => target === input);
  return [COMMON[input as CommonInput], ...aliases.map(([alias]) => alias)].map((option) => `--${option}`).join(' or ');
}

function protocolsHelp(): string {
  const width = Math.max(...playable.map(({ protocol }) => protocol.name.length));
  return playable
    .map(({ protocol, simulator }) => {
      const lines = [`  ${protocol.name.padEnd(width)}  ${protocol.title}: ${simulator.actions.join(', ')}`];
      const options: [string, string][] = [
        ...Object.entries(simulator.aliases ?? {}).map(([alias, input]): [string, string] => [
          `--${alias} ${PLACEHOLDERS[input]}`,
          `the same as --${COMMON[input]}`,
        ]),
        ...Object.entries(simulator.options ?? {}).map(([option, meaning]): [string, string] => [
          `--${option} ${option[0]!.toUpperCase()}`,
          meaning,
        ]),
      ];
      const optionWidth = Math.max(0, ...options.map(([usage]) => usage.length));
      for (const [usage, meaning] of options) lines.push(`      ${usage.padEnd(optionWidth)}  ${meaning}`);
      return lines.join('\n');
    })
    .join('\n');
}

async function send(request: SimulatedRequest, simulator: Simulator, action: string, auth?: Credentials) {
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
  // The action tells an answer's meaning apart where a code means two things (a refused check, a repeated notification).
  const { lines, accepted } = simulator.explain(answer, action);
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

/** Where the instance's endpoints are: --url's path as given, else the instance's own prefix. */
function gatewayUrl(text: string | undefined, instance: string): URL {
  let url: URL;
  try {
    url = new URL(text ?? DEFAULT_ORIGIN);
  } catch {
    throw new UsageError(`--url is not a URL: "${redactUrl(text ?? '')}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must start with http:// or https://');
  if (url.pathname === '/') url.pathname = `/_${instance}_/`;
  else if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}
