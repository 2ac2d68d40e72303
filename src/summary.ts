import { instancePaths } from './app.js';
import { describeDatabase } from './config/database.js';
import type { CoreConfig } from './config/index.js';
import { instanceTitle } from './providers/instances.js';
import { provesCaller } from './providers/intake.js';
import type { Instance } from './providers/types.js';
import { redactUrl } from './util/redact-url.js';

/** The start-up summary: where to reach payrelay, what it stores in, and what is unsafe. */
export function startupSummary(
  core: CoreConfig,
  instances: Instance[],
  address: string,
  databaseWarnings: string[] = [],
): string {
  const lines = [`payrelay listening on ${address}`, `database: ${describeDatabase(core.database)}`];
  const warnings = [...databaseWarnings];
  if (core.trustProxy === true) {
    warnings.push(
      'TRUST_PROXY=true believes the left-most X-Forwarded-For, which any client writes itself: it can name an allowed address (*_ALLOWED_IPS) or dodge the wrong-token limit (name the proxies, TRUST_PROXY=10.0.0.0/8, or their number, TRUST_PROXY=1)',
    );
  }
  for (const instance of instances) {
    lines.push(`${instanceTitle(instance)}: ${instancePaths(instance).join(', ')}`);
    const { settings } = instance;
    lines.push(`  webhook: ${settings.webhookUrl ? redactUrl(settings.webhookUrl) : 'not set'}`);
    if (settings.eventsWebhookUrl) lines.push(`  events: ${redactUrl(settings.eventsWebhookUrl)}`);
    lines.push(`  account check: ${settings.checkUrl ? redactUrl(settings.checkUrl) : 'not set (every account accepted)'}`);
    warnings.push(...instanceWarnings(instance, core.allowUnauthenticated));
  }
  lines.push(
    core.adminToken ? 'admin: /admin (dashboard), /admin/api (API, /admin/api/openapi.json)' : 'admin: off (set ADMIN_TOKEN)',
  );
  lines.push(...warnings.map((warning) => `WARNING: ${warning}`));
  return lines.join('\n');
}

/** What an instance lacks, named by its own variables. */
function instanceWarnings(instance: Instance, allowUnauthenticated: boolean): string[] {
  const { name, protocol, settings } = instance;
  const variable = (suffix: string) => `${name.toUpperCase()}_${suffix}`;
  const warnings: string[] = [];
  if (!provesCaller(instance)) {
    const how = `set ${protocol.basicAuth === false ? '' : `HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD (or ${variable('HTTP_AUTH_USERNAME')} and ${variable('HTTP_AUTH_PASSWORD')}), or `}${variable('ALLOWED_IPS')}${protocol.verifies ? ', or its signature secret' : ''}`;
    warnings.push(
      allowUnauthenticated
        ? `UNSAFE: ${name} takes requests that prove nothing (ALLOW_UNAUTHENTICATED=true): anyone who finds its endpoints can report payments (${how})`
        : `${name} refuses every request: its callers prove nothing (${how}; ALLOW_UNAUTHENTICATED=true takes them all the same, unsafely)`,
    );
  }
  if (!settings.webhookUrl) warnings.push(`${variable('WEBHOOK_URL')} is not set: payments are kept at status 0 until it is`);
  if (!settings.checkUrl) warnings.push(`${variable('CHECK_URL')} is not set: every account is accepted on check`);
  warnings.push(...(protocol.warnings?.(settings, variable) ?? []));
  if (settings.webhookUrl && !settings.webhookSecret) {
    warnings.push(`webhooks of ${name} are unsigned: your backend cannot tell them from forgeries (set WEBHOOK_SECRET)`);
  }
  return warnings;
}
