import { providerPaths } from './app.js';
import { describeDatabase } from './config/database.js';
import type { CoreConfig } from './config/index.js';
import type { ConfiguredProvider } from './providers/types.js';
import { redactUrl } from './util/redact-url.js';

/** The start-up summary: where to reach payrelay, what it stores in, and what is unsafe. */
export function startupSummary(
  core: CoreConfig,
  providers: ConfiguredProvider[],
  address: string,
  databaseWarnings: string[] = [],
): string {
  const lines = [`payrelay listening on ${address}`, `database: ${describeDatabase(core.database)}`];
  const warnings = [...databaseWarnings];
  if (!core.httpAuth) {
    warnings.push(
      'no basic auth: anyone who finds the notification endpoints can report payments (set HTTP_AUTH_USERNAME and HTTP_AUTH_PASSWORD)',
    );
  }
  if (core.trustProxy === true) {
    warnings.push(
      'TRUST_PROXY=true believes the left-most X-Forwarded-For, which any client writes itself: it can name an allowed address (*_ALLOWED_IPS) or dodge the wrong-token limit (name the proxies, TRUST_PROXY=10.0.0.0/8, or their number, TRUST_PROXY=1)',
    );
  }
  for (const { provider, settings } of providers) {
    const paths = providerPaths(provider);
    lines.push(`${provider.title}: ${paths.join(', ')}`);
    lines.push(`  webhook: ${settings.webhookUrl ? redactUrl(settings.webhookUrl) : 'not set'}`);
    lines.push(`  account check: ${settings.checkUrl ? redactUrl(settings.checkUrl) : 'not set (every account accepted)'}`);
    warnings.push(...provider.warnings(settings));
    if (settings.webhookUrl && !settings.webhookSecret) {
      warnings.push(
        `webhooks of ${provider.title} are unsigned: your backend cannot tell them from forgeries (set WEBHOOK_SECRET)`,
      );
    }
  }
  lines.push(
    core.adminToken ? 'admin: /admin (dashboard), /admin/api (API, /admin/api/openapi.json)' : 'admin: off (set ADMIN_TOKEN)',
  );
  lines.push(...warnings.map((warning) => `WARNING: ${warning}`));
  return lines.join('\n');
}
