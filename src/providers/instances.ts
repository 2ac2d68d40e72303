/**
 * The instances a deployment runs, from PROVIDERS: `first,second,pay24:first` runs the protocols
 * `first` and `second` under their own names and a second network of `first` named pay24. An
 * instance's name is the prefix of its variables (`PAY24_*`), its tables (`pay24_*`) and its
 * paths (`/_pay24_/`), so it is a lower-case word: no underscore could be told from the
 * separator.
 */
import { ConfigError, type EnvReader } from '../config/index.js';
import { catalogueProtocols } from '../config/variables.js';
import type { MigratedInstance } from '../db/migrate.js';
import { parseWebhookSecret } from '../delivery/signature.js';
import { parseAllowList } from '../http/ip-allow-list.js';
import type { AnyProtocol, Instance, ProviderSettings } from './types.js';

const NAME = /^[a-z][a-z0-9]{0,31}$/;

/** Each instance PROVIDERS names, with its settings; a bad entry stops start-up naming it. */
export function configureInstances(env: EnvReader, protocols: readonly AnyProtocol[], defaults: string): Instance[] {
  catalogueProtocols(protocols, defaults);
  return listInstances(env, protocols, defaults).map(({ name, protocol }) => {
    const shared = readSharedSettings(env, name.toUpperCase(), protocol.basicAuth !== false);
    const settings = protocol.readSettings(env.scoped(name.toUpperCase()), shared);
    return { name, protocol, settings, root: name === protocol.name };
  });
}

/** PROVIDERS read into names and protocols, without reading any instance's settings. */
export function listInstances(
  env: EnvReader,
  protocols: readonly AnyProtocol[],
  defaults: string,
): { name: string; protocol: AnyProtocol }[] {
  const raw = env.string('PROVIDERS') ?? defaults;
  const byName = new Map(protocols.map((protocol) => [protocol.name, protocol]));
  const known = [...byName.keys()].join(', ');
  const seen = new Set<string>();
  return raw.split(',').map((entry) => {
    const [name = '', protocolName = name, extra] = entry.trim().split(':');
    if (extra !== undefined || !NAME.test(name)) {
      throw new ConfigError(
        'PROVIDERS',
        `has "${entry.trim()}": each entry is name or name:protocol, the name a lower-case word (a-z, 0-9)`,
      );
    }
    const protocol = byName.get(protocolName);
    if (!protocol)
      throw new ConfigError('PROVIDERS', `names the protocol "${protocolName}", which payrelay does not have (${known})`);
    if (seen.has(name)) throw new ConfigError('PROVIDERS', `names the instance "${name}" twice`);
    seen.add(name);
    return { name, protocol };
  });
}

/** What every instance reads under its prefix. */
function readSharedSettings(env: EnvReader, prefix: string, basicAuth: boolean): ProviderSettings {
  return {
    checkUrl: env.url(`${prefix}_CHECK_URL`),
    checkTimeoutMs: env.int(`${prefix}_CHECK_TIMEOUT_MS`, 10_000, 1, 600_000),
    webhookUrl: env.url(`${prefix}_WEBHOOK_URL`),
    eventsWebhookUrl: env.url(`${prefix}_EVENTS_WEBHOOK_URL`),
    webhookSecret: readWebhookSecret(env, `${prefix}_WEBHOOK_SECRET`),
    allowedIps: parseAllowList(`${prefix}_ALLOWED_IPS`, env.string(`${prefix}_ALLOWED_IPS`)),
    // A network that sends no credentials is not held to the shared ones; its own, when set, still apply.
    httpAuth: readHttpAuth(env, `${prefix}_HTTP_AUTH`) ?? (basicAuth ? readHttpAuth(env, 'HTTP_AUTH') : undefined),
  };
}

/** `<NAME>_WEBHOOK_SECRET`, else the shared `WEBHOOK_SECRET`. */
function readWebhookSecret(env: EnvReader, own: string): Buffer | undefined {
  const variable = env.secret(own) ? own : 'WEBHOOK_SECRET';
  const secret = env.secret(variable)?.trim();
  if (!secret) return undefined;
  const key = parseWebhookSecret(secret);
  if (!key) throw new ConfigError(variable, 'must be whsec_ followed by base64 (a Standard Webhooks secret)');
  return key;
}

/** `<prefix>_USERNAME` and `<prefix>_PASSWORD`: both or neither. */
export function readHttpAuth(env: EnvReader, prefix: string): ProviderSettings['httpAuth'] {
  const username = env.secret(`${prefix}_USERNAME`);
  const password = env.secret(`${prefix}_PASSWORD`);
  if (!username && !password) return undefined;
  if (!username) throw new ConfigError(`${prefix}_USERNAME`, `must be set when ${prefix}_PASSWORD is`);
  if (!password) throw new ConfigError(`${prefix}_PASSWORD`, `must be set when ${prefix}_USERNAME is`);
  return { username, password };
}

/** What the migrations need of each instance. */
export function migrationSources(instances: readonly Pick<Instance, 'name' | 'protocol'>[]): MigratedInstance[] {
  return instances.map(({ name, protocol }) => ({ name, migrationsDir: protocol.migrationsDir }));
}

/** How people see an instance: the protocol's title, with the instance's name when it has another. */
export function instanceTitle({ name, protocol }: Pick<Instance, 'name' | 'protocol'>): string {
  return name === protocol.name ? protocol.title : `${name} (${protocol.title})`;
}
